using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace ReverseTunnel.Bench.Infra;

/// <summary>
/// A TCP relay on 127.0.0.1 that holds every chunk it reads for a fixed time before it writes it on,
/// in each direction: a long link without netem, which this machine's kernel lacks. TCP between the
/// relay and either end still sees loopback, so the only window that feels the delay is one that
/// crosses the relay end to end (the tunnel's stream windows, ssh's channel windows).
/// </summary>
internal sealed class DelayRelay : IAsyncDisposable
{
    private const int ChunkSize = 64 * 1024;

    // At most 1,024 chunks (64 MiB) held per direction: more than a 4 MiB window, or the window TCP
    // grows to, keeps in flight over 50 ms; a reader of the relay is backpressured beyond it.
    private const int MaxChunksHeld = 1024;

    private readonly Socket _listener;
    private readonly int _targetPort;
    private readonly long _delayTicks;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Socket> _sockets = [];
    private readonly Task _accepting;

    private DelayRelay(int targetPort, TimeSpan oneWay)
    {
        _targetPort = targetPort;
        _delayTicks = (long)(oneWay.TotalSeconds * Stopwatch.Frequency);
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(128);
        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        _accepting = AcceptAsync();
    }

    /// <summary>The port to connect to instead of the target's.</summary>
    public int Port { get; }

    /// <summary>Starts a relay to 127.0.0.1:<paramref name="targetPort"/> that delays each direction by <paramref name="oneWay"/>.</summary>
    public static DelayRelay Start(int targetPort, TimeSpan oneWay) => new(targetPort, oneWay);

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Dispose();
        lock (_sockets)
        {
            _sockets.ForEach(s => s.Dispose());
        }

        try
        {
            await _accepting;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client = await _listener.AcceptAsync(_stop.Token);
            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(Socket client)
    {
        var target = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var connection = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        lock (_sockets)
        {
            _sockets.Add(client);
            _sockets.Add(target);
        }

        try
        {
            client.NoDelay = target.NoDelay = true;
            await target.ConnectAsync(new IPEndPoint(IPAddress.Loopback, _targetPort), _stop.Token);
            await Task.WhenAll(PumpAsync(client, target, connection), PumpAsync(target, client, connection));
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // One side failed: reset the other rather than end it cleanly.
            client.LingerState = target.LingerState = new LingerOption(true, 0);
        }
        finally
        {
            lock (_sockets)
            {
                _sockets.Remove(client);
                _sockets.Remove(target);
            }

            client.Dispose();
            target.Dispose();
        }
    }

    /// <summary>Reads <paramref name="from"/> to its end; each chunk is written to <paramref name="to"/> once it has been held for the delay.</summary>
    /// <remarks>A failure on either side cancels <paramref name="connection"/>, which ends both directions.</remarks>
    private async Task PumpAsync(Socket from, Socket to, CancellationTokenSource connection)
    {
        Channel<(long Due, byte[] Buffer, int Length)> held = Channel.CreateBounded<(long, byte[], int)>(
            new BoundedChannelOptions(MaxChunksHeld) { SingleReader = true, SingleWriter = true });
        Task writing = WriteHeldAsync(held.Reader, to, connection);
        try
        {
            int read;
            do
            {
                byte[] buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
                read = await from.ReceiveAsync(buffer.AsMemory(0, ChunkSize), SocketFlags.None, connection.Token);
                await held.Writer.WriteAsync((Stopwatch.GetTimestamp() + _delayTicks, buffer, read), connection.Token);
            }
            while (read > 0);
        }
        catch
        {
            connection.Cancel();
            throw;
        }
        finally
        {
            held.Writer.TryComplete();
        }

        await writing;
    }

    private static async Task WriteHeldAsync(ChannelReader<(long Due, byte[] Buffer, int Length)> held, Socket to, CancellationTokenSource connection)
    {
        try
        {
            await foreach ((long due, byte[] buffer, int length) in held.ReadAllAsync(connection.Token))
            {
                TimeSpan wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, connection.Token);
                }

                if (length == 0)
                {
                    to.Shutdown(SocketShutdown.Send); // The end of file crosses the link like the data.
                    return;
                }

                await to.SendAsync(buffer.AsMemory(0, length), SocketFlags.None, connection.Token);
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        catch
        {
            connection.Cancel();
            throw;
        }
    }
}
