using ReverseTunnel.Protocol.Multiplexing;

namespace ReverseTunnel.Agent.Streams;

/// <summary>
/// The cancellation of one stream's dial: cancelled when the session ends (the forwarder's token)
/// or when the server resets the stream while the dial is still running.
/// </summary>
/// <remarks>
/// The reset is observed through a registration on <see cref="MuxStream.ResetToken"/>, removed when
/// the dial is over, so a stream that ends later costs nothing here. The registration's callback runs
/// where the stream is reset, often the session's read loop, so it only starts the cancellation and
/// lets the socket's cancellation run on the thread pool; the lock keeps it from touching a disposed
/// source.
/// </remarks>
public sealed class DialCancellation : IDisposable
{
    private readonly object _lock = new();
    private readonly CancellationTokenSource _source;
    private readonly CancellationTokenRegistration _reset;
    private bool _disposed;

    /// <summary>Links to <paramref name="sessionEnding"/> and watches <paramref name="stream"/>.</summary>
    public DialCancellation(MuxStream stream, CancellationToken sessionEnding)
    {
        _source = CancellationTokenSource.CreateLinkedTokenSource(sessionEnding);
        Token = _source.Token;
        _reset = stream.ResetToken.UnsafeRegister(static state => ((DialCancellation)state!).Cancel(), this);
    }

    /// <summary>Cancelled when the dial is no longer wanted.</summary>
    public CancellationToken Token { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        // Outside the lock: Dispose waits for a callback already running, and the callback takes the lock.
        _reset.Dispose();
        lock (_lock)
        {
            _disposed = true;
            _source.Dispose();
        }
    }

    private void Cancel()
    {
        lock (_lock)
        {
            if (!_disposed)
            {
                _ = _source.CancelAsync();
            }
        }
    }
}
