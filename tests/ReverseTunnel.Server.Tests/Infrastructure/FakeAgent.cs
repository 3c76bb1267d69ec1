using System.Net.WebSockets;
using System.Threading.Channels;
using ReverseTunnel.Protocol;
using ReverseTunnel.Protocol.Multiplexing;

namespace ReverseTunnel.Server.Tests.Infrastructure;

/// <summary>
/// Plays ws-agent: a ClientWebSocket pinned to the test server's certificate and a client-side
/// MuxSession that reports each stream the server opens and echoes its bytes back.
/// </summary>
internal sealed class FakeAgent : IAsyncDisposable
{
    private readonly Channel<MuxStream> _opened = Channel.CreateUnbounded<MuxStream>();

    private FakeAgent(ClientWebSocket webSocket, MuxSessionOptions options)
    {
        WebSocket = webSocket;
        Session = new MuxSession(webSocket, options, isServer: false, acceptStream: OnStreamAsync, name: "test-agent");
        Run = Session.RunAsync();
    }

    public ClientWebSocket WebSocket { get; }

    public MuxSession Session { get; }

    public Task<SessionEnd> Run { get; }

    public static async Task<FakeAgent> ConnectAsync(TestServer server, string token, int port, MuxSessionOptions? options = null, string target = "jira.internal:8080", System.Net.IPAddress? localAddress = null)
    {
        var webSocket = new ClientWebSocket();
        HttpMessageInvoker? invoker = null;
        if (localAddress is null)
        {
            webSocket.Options.RemoteCertificateValidationCallback = server.PinnedCertificate;
        }
        else
        {
            // Another source address (127.0.0.2...): the whole of 127/8 reaches the loopback listener.
            var handler = new SocketsHttpHandler
            {
                ConnectCallback = async (context, ct) =>
                {
                    var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                    socket.Bind(new System.Net.IPEndPoint(localAddress, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, ct);
                    return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
                },
            };
            handler.SslOptions.RemoteCertificateValidationCallback = server.PinnedCertificate;
            invoker = new HttpMessageInvoker(handler);
        }

        webSocket.Options.AddSubProtocol(ProtocolVersion.SubProtocol);
        webSocket.Options.SetRequestHeader("Authorization", $"Bearer {token}");
        webSocket.Options.SetRequestHeader("X-Tunnel-Port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        webSocket.Options.SetRequestHeader("X-Tunnel-Target", target);
        webSocket.Options.CollectHttpResponseDetails = true;
        try
        {
            await (invoker is null
                ? webSocket.ConnectAsync(server.TunnelUri, CancellationToken.None)
                : webSocket.ConnectAsync(server.TunnelUri, invoker, CancellationToken.None)).WaitAsync(TestTimeouts.Default);
        }
        catch
        {
            webSocket.Dispose();
            throw;
        }

        return new FakeAgent(webSocket, options ?? new MuxSessionOptions());
    }

    /// <summary>Waits for the next stream the server opens (its OPEN frame).</summary>
    public async Task<MuxStream> NextStreamAsync() =>
        await _opened.Reader.ReadAsync().AsTask().WaitAsync(TestTimeouts.Default);

    public async ValueTask DisposeAsync()
    {
        await Session.DisposeAsync();
        WebSocket.Dispose();
    }

    private Task OnStreamAsync(MuxStream stream)
    {
        _opened.Writer.TryWrite(stream);
        return EchoAsync(stream);
    }

    private static async Task EchoAsync(MuxStream stream)
    {
        try
        {
            while (true)
            {
                System.IO.Pipelines.ReadResult result = await stream.Input.ReadAsync();
                foreach (ReadOnlyMemory<byte> segment in result.Buffer)
                {
                    await stream.WriteAsync(segment);
                }

                stream.Input.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    stream.CompleteWrites();
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException)
        {
            // The stream was reset (session replaced or closed); nothing to echo any more.
        }
    }
}
