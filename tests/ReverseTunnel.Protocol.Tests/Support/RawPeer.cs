using System.Net.Sockets;
using System.Net.WebSockets;
using ReverseTunnel.Protocol.Framing;
using ReverseTunnel.Protocol.Multiplexing;

namespace ReverseTunnel.Protocol.Tests.Support;

/// <summary>
/// A hand-driven agent: a bare WebSocket that sends whatever frames a test writes, facing a real
/// server <see cref="MuxSession"/>. For testing how the session treats a misbehaving peer.
/// </summary>
internal sealed class RawPeer : IAsyncDisposable
{
    private readonly byte[] _receiveBuffer = new byte[1 << 20];

    private RawPeer(WebSocket socket, MuxSession session)
    {
        Socket = socket;
        Session = session;
        SessionRun = session.RunAsync();
    }

    public WebSocket Socket { get; }

    public MuxSession Session { get; }

    public Task<SessionEnd> SessionRun { get; }

    public static async Task<RawPeer> CreateAsync(MuxSessionOptions? sessionOptions = null)
    {
        (Socket a, Socket b) = await SocketPair.CreateAsync();
        WebSocket server = WebSocket.CreateFromStream(new NetworkStream(b, ownsSocket: true), new WebSocketCreationOptions { IsServer = true });
        WebSocket raw = WebSocket.CreateFromStream(new NetworkStream(a, ownsSocket: true), new WebSocketCreationOptions { IsServer = false });
        return new RawPeer(raw, new MuxSession(server, sessionOptions ?? new MuxSessionOptions(), isServer: true));
    }

    public static byte[] Frame(FrameType type, FrameFlags flags, uint streamId, ReadOnlySpan<byte> payload)
    {
        byte[] frame = new byte[FrameHeader.Size + payload.Length];
        new FrameHeader(payload.Length, type, flags, streamId).WriteTo(frame);
        payload.CopyTo(frame.AsSpan(FrameHeader.Size));
        return frame;
    }

    public static byte[] Hello(int streamWindow = 65536, int sessionWindow = 1 << 20)
    {
        byte[] settings = new byte[HelloSettings.EncodedLength];
        new HelloSettings { InitialStreamWindow = streamWindow, MaxFramePayload = 16384, MaxConcurrentStreams = 100, SessionWindow = sessionWindow }.WriteTo(settings);
        return Frame(FrameType.Hello, FrameFlags.None, 0, settings);
    }

    public Task SendAsync(params byte[][] frames) =>
        Socket.SendAsync(frames.SelectMany(f => f).ToArray(), WebSocketMessageType.Binary, true, CancellationToken.None);

    /// <summary>Reads frames until one of <paramref name="type"/> arrives, or the connection closes (null).</summary>
    public async Task<(FrameHeader Header, byte[] Payload)?> ReceiveUntilAsync(FrameType type) =>
        await ReceiveThroughAsync(header => header.Type == type) is { } frames ? frames[^1] : null;

    /// <summary>
    /// Reads frames until <paramref name="last"/> accepts one; returns every frame read, that one last,
    /// or null if the connection closes first. Frames after it in the same message are dropped.
    /// </summary>
    public async Task<List<(FrameHeader Header, byte[] Payload)>?> ReceiveThroughAsync(Func<FrameHeader, byte[], bool> last)
    {
        var frames = new List<(FrameHeader Header, byte[] Payload)>();
        var pending = new List<byte>();
        while (true)
        {
            while (pending.Count >= FrameHeader.Size)
            {
                FrameHeader header = FrameHeader.Read(pending.Take(FrameHeader.Size).ToArray());
                if (pending.Count < FrameHeader.Size + header.Length)
                {
                    break;
                }

                byte[] payload = pending.Skip(FrameHeader.Size).Take(header.Length).ToArray();
                pending.RemoveRange(0, FrameHeader.Size + header.Length);
                frames.Add((header, payload));
                if (last(header, payload))
                {
                    return frames;
                }
            }

            ValueWebSocketReceiveResult result;
            try
            {
                result = await Socket.ReceiveAsync(_receiveBuffer.AsMemory(), CancellationToken.None);
            }
            catch (WebSocketException)
            {
                return null;
            }

            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            pending.AddRange(_receiveBuffer.AsSpan(0, result.Count).ToArray());
        }
    }

    public Task<List<(FrameHeader Header, byte[] Payload)>?> ReceiveThroughAsync(Func<FrameHeader, bool> last) =>
        ReceiveThroughAsync((header, _) => last(header));

    public async ValueTask DisposeAsync()
    {
        await Session.DisposeAsync();
        Socket.Dispose();
    }
}
