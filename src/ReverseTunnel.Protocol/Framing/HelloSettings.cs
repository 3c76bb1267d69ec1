using System.Buffers;
using System.Buffers.Binary;

namespace ReverseTunnel.Protocol.Framing;

/// <summary>
/// The payload of <see cref="FrameType.Hello"/>: what the sender is prepared to receive.
/// <code>
/// +-------------------------------+
/// |       Identifier (16)         |
/// +-------------------------------+-------------------------------+
/// |                        Value (32)                             |
/// +---------------------------------------------------------------+
/// </code>
/// repeated; unknown identifiers are ignored so that later versions can add settings.
/// </summary>
public sealed record HelloSettings
{
    /// <summary>Setting 0x1: initial credit of every stream the receiver of this HELLO sends on.</summary>
    public const ushort InitialStreamWindowId = 0x1;

    /// <summary>Setting 0x2: largest frame payload the sender of this HELLO accepts.</summary>
    public const ushort MaxFramePayloadId = 0x2;

    /// <summary>Setting 0x3: the most streams the sender of this HELLO lets its peer open at once.</summary>
    public const ushort MaxConcurrentStreamsId = 0x3;

    /// <summary>Setting 0x4: initial session-wide credit for the peer's DATA.</summary>
    public const ushort SessionWindowId = 0x4;

    /// <summary>Smallest allowed frame payload limit; smaller would make frames mostly header.</summary>
    public const int MinFramePayload = 1024;

    private const int EntrySize = 6;

    /// <summary>
    /// What a setting missing from a peer's HELLO means. Fixed by the protocol, not by either side's
    /// configuration, so both sides agree on it.
    /// </summary>
    public static HelloSettings ProtocolDefaults { get; } = new()
    {
        InitialStreamWindow = 256 * 1024,
        MaxFramePayload = 16 * 1024,
        MaxConcurrentStreams = 100,
        SessionWindow = 1024 * 1024,
    };

    /// <summary>Initial stream window the peer may use when sending to us.</summary>
    public required int InitialStreamWindow { get; init; }

    /// <summary>Largest DATA payload we accept.</summary>
    public required int MaxFramePayload { get; init; }

    /// <summary>Streams the peer may open at once.</summary>
    public required int MaxConcurrentStreams { get; init; }

    /// <summary>Initial session window the peer may use when sending to us.</summary>
    public required int SessionWindow { get; init; }

    /// <summary>Encoded length in octets.</summary>
    public static int EncodedLength => 4 * EntrySize;

    /// <summary>Encodes the four settings.</summary>
    public void WriteTo(Span<byte> destination)
    {
        WriteEntry(destination, InitialStreamWindowId, InitialStreamWindow);
        WriteEntry(destination[EntrySize..], MaxFramePayloadId, MaxFramePayload);
        WriteEntry(destination[(2 * EntrySize)..], MaxConcurrentStreamsId, MaxConcurrentStreams);
        WriteEntry(destination[(3 * EntrySize)..], SessionWindowId, SessionWindow);
    }

    /// <summary>Decodes a HELLO payload; missing settings take the given defaults.</summary>
    /// <exception cref="ProtocolException">A malformed payload or an out-of-range value.</exception>
    public static HelloSettings Parse(ReadOnlySequence<byte> payload, HelloSettings defaults)
    {
        if (payload.Length % EntrySize != 0)
        {
            throw new ProtocolException(ErrorCode.FrameSizeError, $"HELLO payload of {payload.Length} octets is not a multiple of {EntrySize}.");
        }

        int streamWindow = defaults.InitialStreamWindow, framePayload = defaults.MaxFramePayload;
        int maxStreams = defaults.MaxConcurrentStreams, sessionWindow = defaults.SessionWindow;
        Span<byte> entry = stackalloc byte[EntrySize];
        var reader = new SequenceReader<byte>(payload);
        while (reader.TryCopyTo(entry))
        {
            reader.Advance(EntrySize);
            ushort id = BinaryPrimitives.ReadUInt16BigEndian(entry);
            uint value = BinaryPrimitives.ReadUInt32BigEndian(entry[2..]);
            switch (id)
            {
                case InitialStreamWindowId: streamWindow = Window(value, "initial stream window"); break;
                case MaxFramePayloadId:
                    if (value < MinFramePayload || value > FrameHeader.MaxLength)
                    {
                        throw new ProtocolException(ErrorCode.ProtocolError, $"HELLO max frame payload {value} is outside {MinFramePayload}..{FrameHeader.MaxLength}.");
                    }

                    framePayload = (int)value;
                    break;
                case MaxConcurrentStreamsId: maxStreams = (int)Math.Min(value, int.MaxValue); break;
                case SessionWindowId: sessionWindow = Window(value, "session window"); break;
                default: break; // Unknown settings are ignored for forward compatibility.
            }
        }

        return new HelloSettings
        {
            InitialStreamWindow = streamWindow,
            MaxFramePayload = framePayload,
            MaxConcurrentStreams = maxStreams,
            SessionWindow = sessionWindow,
        };
    }

    private static int Window(uint value, string name) => value is 0 or > int.MaxValue
        ? throw new ProtocolException(ErrorCode.FlowControlError, $"HELLO {name} {value} is outside 1..2^31-1.")
        : (int)value;

    private static void WriteEntry(Span<byte> destination, ushort id, int value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, id);
        BinaryPrimitives.WriteUInt32BigEndian(destination[2..], (uint)value);
    }
}
