using System.Buffers.Binary;

namespace ReverseTunnel.Protocol.Framing;

/// <summary>
/// The fixed 9-octet header that starts every frame. All integers are big-endian.
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-----------------------------------------------+---------------+
/// |                 Length (24)                   |   Type (8)    |
/// +---------------+-------------------------------+---------------+
/// |   Flags (8)   |R|        Stream Identifier (31) ...
/// +---------------+-----------------------------------------------+
///     ... Stream Identifier |   Payload (Length octets) ...
/// +-------------------------+-------------------------------------+
/// </code>
/// Length counts payload octets only. R is reserved: sent as 0, ignored on receipt.
/// </summary>
public readonly record struct FrameHeader(int Length, FrameType Type, FrameFlags Flags, uint StreamId)
{
    /// <summary>Size of the header in octets.</summary>
    public const int Size = 9;

    /// <summary>Largest length the 24-bit field can carry.</summary>
    public const int MaxLength = (1 << 24) - 1;

    /// <summary>Largest stream identifier (31 bits).</summary>
    public const uint MaxStreamId = int.MaxValue;

    /// <summary>Writes this header into the first <see cref="Size"/> octets of <paramref name="destination"/>.</summary>
    public void WriteTo(Span<byte> destination)
    {
        if ((uint)Length > MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(Length), Length, "A frame payload cannot exceed 2^24-1 octets.");
        }

        destination = destination[..Size];
        destination[0] = (byte)(Length >> 16);
        destination[1] = (byte)(Length >> 8);
        destination[2] = (byte)Length;
        destination[3] = (byte)Type;
        destination[4] = (byte)Flags;
        BinaryPrimitives.WriteUInt32BigEndian(destination[5..], StreamId & MaxStreamId);
    }

    /// <summary>Reads a header from the first <see cref="Size"/> octets of <paramref name="source"/>.</summary>
    public static FrameHeader Read(ReadOnlySpan<byte> source)
    {
        source = source[..Size];
        int length = (source[0] << 16) | (source[1] << 8) | source[2];
        uint streamId = BinaryPrimitives.ReadUInt32BigEndian(source[5..]) & MaxStreamId;
        return new FrameHeader(length, (FrameType)source[3], (FrameFlags)source[4], streamId);
    }
}
