using System.Diagnostics;
using System.Net.Sockets;
using System.Threading.Channels;

namespace ReverseTunnel.Reliability.Tests.Faults;

/// <summary>
/// One direction of a proxied connection: a reader that timestamps what it reads (latency, jitter)
/// and a writer that releases it on time, at the allowed rate, and cuts or drops it on command.
/// A FIN is passed on as a FIN, a reset as a reset.
/// </summary>
internal sealed class ProxyPump
{
    private const int ChunkSize = 16 * 1024;

    private readonly Socket _from;
    private readonly Socket _to;
    private readonly Direction _direction;
    private readonly FaultProxy _proxy;
    private readonly ProxyConnection _connection;
    private readonly Channel<ProxyChunk> _queue = Channel.CreateBounded<ProxyChunk>(new BoundedChannelOptions(64) { SingleReader = true, SingleWriter = true });
    private long _lastDue;
    private long _rateClock;
    private long _forwarded;

    public ProxyPump(Socket from, Socket to, Direction direction, FaultProxy proxy, ProxyConnection connection)
    {
        _from = from;
        _to = to;
        _direction = direction;
        _proxy = proxy;
        _connection = connection;
    }

    /// <summary>Octets written to the far side so far.</summary>
    public long Forwarded => Interlocked.Read(ref _forwarded);

    /// <summary>True once the reading side sent its FIN and it was passed on.</summary>
    public bool Finished { get; private set; }

    public Task RunAsync() => Task.WhenAll(Task.Run(ReadLoopAsync), Task.Run(WriteLoopAsync));

    private async Task ReadLoopAsync()
    {
        byte[] buffer = new byte[ChunkSize];
        try
        {
            while (true)
            {
                int read = await _from.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false);
                if (read == 0)
                {
                    _queue.Writer.TryComplete();
                    return;
                }

                if (_connection.Blackholed)
                {
                    // Read and dropped: the sender's kernel sees its bytes taken, nobody ever gets them.
                    continue;
                }

                await _queue.Writer.WriteAsync(new ProxyChunk(buffer[..read], read, DueTime()), _connection.Aborted).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException or ChannelClosedException)
        {
            // A reset (or our own abort) on the reading side is a reset on the other side too.
            _queue.Writer.TryComplete(ex);
            _connection.OnPumpFailed();
        }
    }

    private long DueTime()
    {
        FaultSettings settings = _proxy.Settings(_direction);
        long now = Stopwatch.GetTimestamp();
        if (settings.Latency <= TimeSpan.Zero && settings.Jitter <= TimeSpan.Zero)
        {
            return _lastDue = Math.Max(now, _lastDue);
        }

        double jitter = settings.Jitter.TotalSeconds * ((Random.Shared.NextDouble() * 2) - 1);
        double delay = Math.Max(0, settings.Latency.TotalSeconds + jitter);
        long due = now + (long)(delay * Stopwatch.Frequency);

        // One TCP path never reorders: a chunk is never released before the one read before it.
        return _lastDue = Math.Max(due, _lastDue);
    }

    private async Task WriteLoopAsync()
    {
        try
        {
            await foreach (ProxyChunk chunk in _queue.Reader.ReadAllAsync(_connection.Aborted).ConfigureAwait(false))
            {
                await WaitUntilAsync(chunk.Due).ConfigureAwait(false);
                for (int offset = 0; offset < chunk.Length;)
                {
                    if (_connection.Blackholed)
                    {
                        break;
                    }

                    int piece = Math.Min(chunk.Length - offset, PieceSize());
                    CutArm? cut = _proxy.Cut(_direction);
                    if (cut is not null)
                    {
                        piece = cut.Take(piece);
                    }

                    if (piece > 0)
                    {
                        await SendAllAsync(chunk.Buffer.AsMemory(offset, piece)).ConfigureAwait(false);
                        offset += piece;
                        Interlocked.Add(ref _forwarded, piece);
                        _proxy.CountForwarded(_direction, piece);
                        await ThrottleAsync(piece).ConfigureAwait(false);
                    }

                    if (cut is not null && cut.Due)
                    {
                        // Mid-stream, mid-record: whatever was in flight after this octet is lost, and both ends get a reset.
                        _proxy.ClearCut(_direction, cut);
                        _connection.Abort();
                        cut.MarkFired();
                        return;
                    }
                }
            }

            if (!_connection.Blackholed)
            {
                _to.Shutdown(SocketShutdown.Send);
            }

            Finished = true;
            _connection.OnPumpFinished();
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException or ChannelClosedException)
        {
            _connection.OnPumpFailed();
        }
    }

    private int PieceSize()
    {
        long rate = _proxy.Settings(_direction).BytesPerSecond;

        // Throttled: small pieces (1/50 s worth each) so that the rate is smooth, not bursty.
        return rate <= 0 ? ChunkSize : (int)Math.Clamp(rate / 50, 256, ChunkSize);
    }

    private async Task ThrottleAsync(int sent)
    {
        long rate = _proxy.Settings(_direction).BytesPerSecond;
        if (rate <= 0)
        {
            _rateClock = 0;
            return;
        }

        long now = Stopwatch.GetTimestamp();
        _rateClock = Math.Max(_rateClock, now) + (long)((double)sent / rate * Stopwatch.Frequency);
        await WaitUntilAsync(_rateClock).ConfigureAwait(false);
    }

    private async Task WaitUntilAsync(long due)
    {
        long wait = due - Stopwatch.GetTimestamp();
        if (wait > Stopwatch.Frequency / 1000)
        {
            await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency), _connection.Aborted).ConfigureAwait(false);
        }
    }

    private async Task SendAllAsync(ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            data = data[await _to.SendAsync(data, SocketFlags.None, _connection.Aborted).ConfigureAwait(false)..];
        }
    }
}
