using System.Buffers.Binary;
using ReverseTunnel.Protocol.Framing;

namespace ReverseTunnel.Protocol.Multiplexing;

/// <summary>
/// A frame waiting in the session's send queue. Control frames are encoded from their fields at send
/// time, so queueing one allocates nothing. A DATA frame owns a pooled buffer whose first
/// <see cref="FrameHeader.Size"/> octets are reserved for its header, so a lone frame can be sent
/// straight from it.
/// </summary>
internal readonly struct OutboundFrame
{
    private OutboundFrame(FrameType type, FrameFlags flags, uint streamId, uint value, uint value2, byte[]? buffer, int length, MuxStream? stream)
    {
        Type = type;
        Flags = flags;
        StreamId = streamId;
        Value = value;
        Value2 = value2;
        Buffer = buffer;
        Length = length;
        Stream = stream;
    }

    public FrameType Type { get; }

    public FrameFlags Flags { get; }

    public uint StreamId { get; }

    /// <summary>WINDOW_UPDATE increment, RESET code, GOAWAY last stream id, or DATA's charge on the send queue.</summary>
    public uint Value { get; }

    /// <summary>GOAWAY error code.</summary>
    public uint Value2 { get; }

    /// <summary>DATA: pooled buffer (header space + payload). GOAWAY: the UTF-8 reason. HELLO: encoded settings.</summary>
    public byte[]? Buffer { get; }

    /// <summary>Payload length (DATA) or length of <see cref="Buffer"/> in use.</summary>
    public int Length { get; }

    /// <summary>The stream a DATA or BLOCKED frame belongs to, so that frames of a reset stream can be dropped.</summary>
    public MuxStream? Stream { get; }

    public bool IsData => Type == FrameType.Data;

    /// <summary>
    /// Sent in order with DATA rather than ahead of it: a BLOCKED must reach the peer after the DATA
    /// that used up the credit, so that what the peer's reader has not read yet tells it whether
    /// the reader or the window is the limit (MuxStream.OnPeerBlocked). It is bounded without being
    /// a reply: one per stall, and a stall ends only with the peer's WINDOW_UPDATE.
    /// </summary>
    public bool InStreamOrder => Type is FrameType.Data or FrameType.Blocked;

    public int EncodedLength => FrameHeader.Size + PayloadLength;

    private int PayloadLength => Type switch
    {
        FrameType.WindowUpdate or FrameType.Reset => 4,
        FrameType.GoAway => 8 + Length,
        _ => Length,
    };

    public static OutboundFrame Data(MuxStream stream, byte[]? buffer, int length, bool endStream, int queueCharge) =>
        new(FrameType.Data, endStream ? FrameFlags.EndStream : FrameFlags.None, stream.Id, (uint)queueCharge, 0, buffer, length, stream);

    /// <summary>Octets of the send queue this DATA frame holds until it is sent.</summary>
    public int QueueCharge => IsData ? (int)Value : 0;

    /// <summary>Control frames that the peer's own frames cause: a peer that never reads makes these pile up.</summary>
    public bool IsReply => Type is FrameType.Reset or FrameType.WindowUpdate;

    public static OutboundFrame Open(uint streamId) => new(FrameType.Open, FrameFlags.None, streamId, 0, 0, null, 0, null);

    public static OutboundFrame WindowUpdate(uint streamId, int increment) =>
        new(FrameType.WindowUpdate, FrameFlags.None, streamId, (uint)increment, 0, null, 0, null);

    public static OutboundFrame Blocked(MuxStream stream) => new(FrameType.Blocked, FrameFlags.None, stream.Id, 0, 0, null, 0, stream);

    public static OutboundFrame Reset(uint streamId, ErrorCode code) =>
        new(FrameType.Reset, FrameFlags.None, streamId, (uint)code, 0, null, 0, null);

    public static OutboundFrame GoAway(uint lastStreamId, ErrorCode code, byte[] reason) =>
        new(FrameType.GoAway, FrameFlags.None, 0, lastStreamId, (uint)code, reason, reason.Length, null);

    public static OutboundFrame Hello(byte[] settings) => new(FrameType.Hello, FrameFlags.None, 0, 0, 0, settings, settings.Length, null);

    /// <summary>Writes the whole frame into <paramref name="destination"/>; returns octets written.</summary>
    public int WriteTo(Span<byte> destination)
    {
        int payloadLength = PayloadLength;
        new FrameHeader(payloadLength, Type, Flags, StreamId).WriteTo(destination);
        Span<byte> payload = destination.Slice(FrameHeader.Size, payloadLength);
        switch (Type)
        {
            case FrameType.WindowUpdate:
            case FrameType.Reset:
                BinaryPrimitives.WriteUInt32BigEndian(payload, Value);
                break;
            case FrameType.GoAway:
                BinaryPrimitives.WriteUInt32BigEndian(payload, Value);
                BinaryPrimitives.WriteUInt32BigEndian(payload[4..], Value2);
                Buffer.AsSpan(0, Length).CopyTo(payload[8..]);
                break;
            case FrameType.Data when Length > 0:
                Buffer.AsSpan(FrameHeader.Size, Length).CopyTo(payload);
                break;
            case FrameType.Data:
                break;
            default:
                Buffer.AsSpan(0, Length).CopyTo(payload);
                break;
        }

        return FrameHeader.Size + payloadLength;
    }
}
