using System.Buffers.Binary;
using System.Net.WebSockets;
using ReverseTunnel.Protocol.Framing;

namespace ReverseTunnel.Agent.Tests.Infrastructure;

/// <summary>
/// Plays a hostile server at the frame level: encodes frames with the protocol library's
/// <see cref="FrameHeader"/>/<see cref="HelloSettings"/> and parses what the agent sends back,
/// without any of the library's session rules getting in the way.
/// </summary>
public static class RawFrames
{
    /// <summary>One frame: header and payload.</summary>
    public static byte[] Frame(FrameType type, uint streamId, ReadOnlySpan<byte> payload = default, FrameFlags flags = FrameFlags.None)
    {
        byte[] frame = new byte[FrameHeader.Size + payload.Length];
        new FrameHeader(payload.Length, type, flags, streamId).WriteTo(frame);
        payload.CopyTo(frame.AsSpan(FrameHeader.Size));
        return frame;
    }

    /// <summary>A HELLO frame with the given settings.</summary>
    public static byte[] Hello(int streamWindow = 256 * 1024, int sessionWindow = 8 * 1024 * 1024, int maxStreams = 65_536)
    {
        byte[] payload = new byte[HelloSettings.EncodedLength];
        new HelloSettings { InitialStreamWindow = streamWindow, SessionWindow = sessionWindow, MaxConcurrentStreams = maxStreams, MaxFramePayload = 32 * 1024 }.WriteTo(payload);
        return Frame(FrameType.Hello, 0, payload);
    }

    /// <summary>Sends <paramref name="frames"/> as one binary message.</summary>
    public static Task SendAsync(WebSocket webSocket, params byte[][] frames) =>
        webSocket.SendAsync(frames.SelectMany(f => f).ToArray(), WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);

    /// <summary>
    /// Reads the agent's frames until <paramref name="stop"/> says enough (true) or the WebSocket
    /// closes (false); frames may span messages.
    /// </summary>
    public static async Task<bool> ReadFramesAsync(WebSocket webSocket, Func<FrameHeader, byte[], bool> stop, CancellationToken cancellationToken)
    {
        var pending = new List<byte>();
        byte[] buffer = new byte[64 * 1024];
        while (true)
        {
            WebSocketReceiveResult result;
            try
            {
                result = await webSocket.ReceiveAsync(buffer, cancellationToken);
            }
            catch (WebSocketException)
            {
                return false;
            }

            if (result.MessageType == WebSocketMessageType.Close)
            {
                return false;
            }

            pending.AddRange(buffer.AsSpan(0, result.Count).ToArray());
            while (pending.Count >= FrameHeader.Size)
            {
                FrameHeader header = FrameHeader.Read(pending.Take(FrameHeader.Size).ToArray());
                if (pending.Count < FrameHeader.Size + header.Length)
                {
                    break;
                }

                byte[] payload = pending.Skip(FrameHeader.Size).Take(header.Length).ToArray();
                pending.RemoveRange(0, FrameHeader.Size + header.Length);
                if (stop(header, payload))
                {
                    return true;
                }
            }
        }
    }

    /// <summary>The error code of a RESET or GOAWAY payload's first 4 octets.</summary>
    public static ErrorCode Code(byte[] payload, int offset = 0) => (ErrorCode)BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(offset));
}
