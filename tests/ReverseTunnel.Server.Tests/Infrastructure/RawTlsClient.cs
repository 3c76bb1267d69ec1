using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace ReverseTunnel.Server.Tests.Infrastructure;

/// <summary>A TLS connection to the test server on which a test writes whatever bytes it likes, as slowly as it likes.</summary>
internal sealed class RawTlsClient : IAsyncDisposable
{
    private readonly Socket _socket;

    private RawTlsClient(Socket socket, SslStream stream)
    {
        _socket = socket;
        Stream = stream;
    }

    public SslStream Stream { get; }

    public static async Task<RawTlsClient> ConnectAsync(TestServer server, IPAddress? localAddress = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        if (localAddress is not null)
        {
            socket.Bind(new IPEndPoint(localAddress, 0));
        }

        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, server.Port)).WaitAsync(TestTimeouts.Default);
        var stream = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false, server.PinnedCertificate);
        await stream.AuthenticateAsClientAsync("localhost").WaitAsync(TestTimeouts.Default);
        return new RawTlsClient(socket, stream);
    }

    public Task WriteAsync(string text) => Stream.WriteAsync(Encoding.ASCII.GetBytes(text)).AsTask();

    /// <summary>Reads the response head (up to the blank line), or what came before the server closed.</summary>
    public async Task<string> ReadHeadAsync()
    {
        var head = new StringBuilder();
        byte[] one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            int read = await Stream.ReadAsync(one).AsTask().WaitAsync(TestTimeouts.Default);
            if (read == 0)
            {
                break;
            }

            head.Append((char)one[0]);
        }

        return head.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        await Stream.DisposeAsync();
        _socket.Dispose();
    }
}
