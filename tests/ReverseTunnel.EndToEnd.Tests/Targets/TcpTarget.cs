using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace ReverseTunnel.EndToEnd.Tests.Targets;

/// <summary>
/// The customer's internal service, played by a real TCP server on 127.0.0.1 port 0. A client's
/// first line picks the behaviour:
/// <list type="bullet">
/// <item><c>echo</c>: sends back every byte, then FIN after the client's FIN.</item>
/// <item><c>sink</c>: reads to the client's FIN, answers the SHA-256 (hex) of what it read, then FIN.</item>
/// <item><c>source N SEED</c>: sends N deterministic bytes (<see cref="Pattern"/>), then FIN.</item>
/// <item><c>reset N</c>: sends N bytes, then resets the connection (RST).</item>
/// </list>
/// </summary>
internal sealed class TcpTarget : IAsyncDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private long _bytesSent;
    private int _connections;

    public TcpTarget(int port = 0)
    {
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
        _listener.Listen(512);
        _acceptLoop = AcceptLoopAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

    /// <summary>Bytes sent by <c>source</c> connections so far.</summary>
    public long BytesSent => Interlocked.Read(ref _bytesSent);

    public int Connections => Volatile.Read(ref _connections);

    /// <summary>The bytes <c>source N SEED</c> sends: a seeded generator, so a test can recompute them.</summary>
    public static byte[] Pattern(int length, int seed)
    {
        byte[] data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Dispose();
        try
        {
            await _acceptLoop;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket = await _listener.AcceptAsync(_stop.Token);
            socket.NoDelay = true;
            Interlocked.Increment(ref _connections);
            _ = Task.Run(() => ServeAsync(socket));
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        try
        {
            using (socket)
            {
                string[] command = (await ReadLineAsync(socket)).Split(' ');
                switch (command[0])
                {
                    case "echo": await EchoAsync(socket); break;
                    case "sink": await SinkAsync(socket); break;
                    case "source": await SourceAsync(socket, long.Parse(command[1]), int.Parse(command[2])); break;
                    case "reset":
                        await socket.SendAsync(new byte[int.Parse(command[1])]);
                        socket.LingerState = new LingerOption(true, 0);
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // A client or the tunnel went away; the tests check what the client saw.
        }
    }

    private static async Task EchoAsync(Socket socket)
    {
        byte[] buffer = new byte[64 * 1024];
        int read;
        while ((read = await socket.ReceiveAsync(buffer)) > 0)
        {
            await SendAllAsync(socket, buffer.AsMemory(0, read));
        }

        socket.Shutdown(SocketShutdown.Send);
    }

    private static async Task SinkAsync(Socket socket)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = new byte[64 * 1024];
        int read;
        while ((read = await socket.ReceiveAsync(buffer)) > 0)
        {
            hash.AppendData(buffer, 0, read);
        }

        await SendAllAsync(socket, Encoding.ASCII.GetBytes(Convert.ToHexString(hash.GetHashAndReset()) + "\n"));
        socket.Shutdown(SocketShutdown.Send);
    }

    private async Task SourceAsync(Socket socket, long length, int seed)
    {
        var random = new Random(seed);
        byte[] buffer = new byte[64 * 1024];
        for (long left = length; left > 0;)
        {
            int chunk = (int)Math.Min(buffer.Length, left);
            random.NextBytes(buffer.AsSpan(0, chunk));
            await SendAllAsync(socket, buffer.AsMemory(0, chunk), _stop.Token);
            Interlocked.Add(ref _bytesSent, chunk);
            left -= chunk;
        }

        socket.Shutdown(SocketShutdown.Send);
        byte[] drain = new byte[1024];
        while (await socket.ReceiveAsync(drain) > 0)
        {
        }
    }

    private static async Task SendAllAsync(Socket socket, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        while (!data.IsEmpty)
        {
            data = data[await socket.SendAsync(data, SocketFlags.None, cancellationToken)..];
        }
    }

    private static async Task<string> ReadLineAsync(Socket socket)
    {
        var line = new StringBuilder();
        byte[] one = new byte[1];
        while (await socket.ReceiveAsync(one) == 1 && one[0] != '\n')
        {
            line.Append((char)one[0]);
        }

        return line.ToString();
    }
}
