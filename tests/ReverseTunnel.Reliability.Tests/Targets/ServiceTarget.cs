using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using ReverseTunnel.Reliability.Tests.Traffic;

namespace ReverseTunnel.Reliability.Tests.Targets;

/// <summary>
/// The customer's internal service: a real TCP server on 127.0.0.1 that can be killed, made to
/// refuse, and started again on the same port. A client's first line picks the behaviour:
/// <list type="bullet">
/// <item><c>echo N</c>: sends back every octet, then FIN after the client's FIN.</item>
/// <item><c>sink N</c>: reads to the client's FIN, answers the SHA-256 (hex) of what it read and a newline, then FIN.</item>
/// <item><c>source N SEED</c>: sends the N octets of <see cref="Pattern"/> SEED, then FIN.</item>
/// </list>
/// With <c>echo N</c> and <c>sink N</c> the target knows how much the client meant to send: a clean
/// FIN before N octets means the tunnel passed a failure on as a normal end, and is counted in
/// <see cref="TruncatedRequests"/> (the rule seen from the target's side).
/// </summary>
internal sealed class ServiceTarget : IAsyncDisposable
{
    private readonly ConcurrentDictionary<Socket, byte> _open = new();
    private Socket? _listener;
    private CancellationTokenSource _running = new();
    private Task _acceptLoop = Task.CompletedTask;
    private long _served;
    private long _truncatedRequests;

    public ServiceTarget(int port = 0)
    {
        Start(port);
        Port = ((IPEndPoint)_listener!.LocalEndPoint!).Port;
    }

    public int Port { get; }

    /// <summary>Connections accepted so far.</summary>
    public long Served => Interlocked.Read(ref _served);

    /// <summary>Requests that ended with a clean FIN before the announced length.</summary>
    public long TruncatedRequests => Interlocked.Read(ref _truncatedRequests);

    /// <summary>Connections open now.</summary>
    public int OpenConnections => _open.Count;

    public bool IsListening => _listener is not null;

    /// <summary>
    /// The process dies: the port is closed (connections are refused) and every open connection is
    /// reset, as the kernel does for a killed process whose sockets hold unread data.
    /// </summary>
    public int Kill()
    {
        StopListening();
        int count = 0;
        foreach (Socket socket in _open.Keys)
        {
            try
            {
                socket.LingerState = new LingerOption(true, 0);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
            }

            socket.Dispose();
            count++;
        }

        return count;
    }

    /// <summary>The port is closed: new connections are refused; open ones go on.</summary>
    public void Refuse() => StopListening();

    /// <summary>Listens again on the same port.</summary>
    public void Restart() => Start(Port);

    public async ValueTask DisposeAsync()
    {
        Kill();
        await _acceptLoop.ConfigureAwait(false);
    }

    private void Start(int port)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
        listener.Listen(1024);
        _running = new CancellationTokenSource();
        _listener = listener;
        _acceptLoop = AcceptLoopAsync(listener, _running.Token);
    }

    private void StopListening()
    {
        _running.Cancel();
        _listener?.Dispose();
        _listener = null;
    }

    private async Task AcceptLoopAsync(Socket listener, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(stop).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                if (stop.IsCancellationRequested)
                {
                    return;
                }

                continue;
            }

            socket.NoDelay = true;
            Interlocked.Increment(ref _served);
            _open[socket] = 0;
            _ = Task.Run(() => ServeAsync(socket));
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        try
        {
            string[] command = (await ReadLineAsync(socket).ConfigureAwait(false)).Split(' ');
            switch (command[0])
            {
                case "echo": await EchoAsync(socket, command).ConfigureAwait(false); break;
                case "sink": await SinkAsync(socket, command).ConfigureAwait(false); break;
                case "source":
                    await SourceAsync(socket, long.Parse(command[1], CultureInfo.InvariantCulture), ulong.Parse(command[2], CultureInfo.InvariantCulture)).ConfigureAwait(false);
                    break;
                default:
                    // Not a request of ours: drop it hard, never with a FIN that looks like an answer.
                    socket.LingerState = new LingerOption(true, 0);
                    break;
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException or FormatException or IndexOutOfRangeException)
        {
            // The tunnel or the client went away, or we were killed: the client's view is what is checked.
        }
        finally
        {
            _open.TryRemove(socket, out _);
            socket.Dispose();
        }
    }

    private void CheckLength(string[] command, long received)
    {
        if (command.Length > 1 && long.TryParse(command[1], CultureInfo.InvariantCulture, out long announced) && received < announced)
        {
            Interlocked.Increment(ref _truncatedRequests);
        }
    }

    /// <summary>Echoes to the client's FIN.</summary>
    private async Task EchoAsync(Socket socket, string[] command)
    {
        byte[] buffer = new byte[64 * 1024];
        long total = 0;
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false)) > 0)
        {
            total += read;
            await SendAllAsync(socket, buffer.AsMemory(0, read)).ConfigureAwait(false);
        }

        CheckLength(command, total);
        socket.Shutdown(SocketShutdown.Send);
    }

    /// <summary>Reads to the client's FIN and answers the SHA-256.</summary>
    private async Task SinkAsync(Socket socket, string[] command)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = new byte[64 * 1024];
        long total = 0;
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false)) > 0)
        {
            total += read;
            hash.AppendData(buffer, 0, read);
        }

        CheckLength(command, total);
        await SendAllAsync(socket, Encoding.ASCII.GetBytes(Convert.ToHexString(hash.GetHashAndReset()) + "\n")).ConfigureAwait(false);
        socket.Shutdown(SocketShutdown.Send);
    }

    private static async Task SourceAsync(Socket socket, long length, ulong seed)
    {
        byte[] buffer = new byte[64 * 1024];
        for (long offset = 0; offset < length;)
        {
            int chunk = (int)Math.Min(buffer.Length, length - offset);
            Pattern.Fill(seed, offset, buffer.AsSpan(0, chunk));
            await SendAllAsync(socket, buffer.AsMemory(0, chunk)).ConfigureAwait(false);
            offset += chunk;
        }

        socket.Shutdown(SocketShutdown.Send);

        // Wait for the client's FIN, so that our close never resets data the client has not read yet.
        byte[] drain = new byte[1024];
        while (await socket.ReceiveAsync(drain, SocketFlags.None).ConfigureAwait(false) > 0)
        {
        }
    }

    private static async Task SendAllAsync(Socket socket, ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            data = data[await socket.SendAsync(data, SocketFlags.None).ConfigureAwait(false)..];
        }
    }

    private static async Task<string> ReadLineAsync(Socket socket)
    {
        var line = new StringBuilder();
        byte[] one = new byte[1];
        while (await socket.ReceiveAsync(one, SocketFlags.None).ConfigureAwait(false) == 1 && one[0] != '\n')
        {
            line.Append((char)one[0]);
            if (line.Length > 200)
            {
                throw new FormatException("request line too long");
            }
        }

        return line.ToString();
    }
}
