using System.Buffers;

namespace ReverseTunnel.Protocol.Framing;

/// <summary>
/// Cuts frames out of the byte stream formed by concatenating the payloads of the session's binary
/// WebSocket messages. Frames may span messages. Parses in place from a
/// <see cref="ReadOnlySequence{T}"/>: the payload it returns is a slice of the input, not a copy.
/// </summary>
public static class FrameReader
{
    /// <summary>
    /// Tries to read one whole frame from the start of <paramref name="buffer"/>.
    /// On success, <paramref name="buffer"/> is advanced past the frame.
    /// </summary>
    /// <param name="buffer">Received bytes not yet parsed.</param>
    /// <param name="maxPayload">
    /// The largest payload this side accepts. A larger length is rejected as soon as the header is
    /// seen, before any of its payload is buffered.
    /// </param>
    /// <param name="header">The frame's header.</param>
    /// <param name="payload">The frame's payload, a slice of <paramref name="buffer"/>.</param>
    /// <returns>False when more bytes are needed.</returns>
    /// <exception cref="ProtocolException">The length exceeds <paramref name="maxPayload"/>.</exception>
    public static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, int maxPayload, out FrameHeader header, out ReadOnlySequence<byte> payload)
    {
        payload = default;
        header = default;
        if (buffer.Length < FrameHeader.Size)
        {
            return false;
        }

        Span<byte> scratch = stackalloc byte[FrameHeader.Size];
        ReadOnlySequence<byte> headerBytes = buffer.Slice(0, FrameHeader.Size);
        ReadOnlySpan<byte> span = headerBytes.IsSingleSegment ? headerBytes.FirstSpan : Copy(headerBytes, scratch);
        header = FrameHeader.Read(span);

        if (header.Length > maxPayload)
        {
            throw new ProtocolException(ErrorCode.FrameSizeError,
                $"Frame of type {header.Type} on stream {header.StreamId} declares {header.Length} payload octets; the limit is {maxPayload}.");
        }

        if (buffer.Length < FrameHeader.Size + header.Length)
        {
            return false;
        }

        payload = buffer.Slice(FrameHeader.Size, header.Length);
        buffer = buffer.Slice(payload.End);
        return true;
    }

    private static ReadOnlySpan<byte> Copy(ReadOnlySequence<byte> source, Span<byte> scratch)
    {
        source.CopyTo(scratch);
        return scratch;
    }
}
