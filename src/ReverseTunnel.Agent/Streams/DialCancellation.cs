using ReverseTunnel.Protocol.Multiplexing;

namespace ReverseTunnel.Agent.Streams;

/// <summary>
/// The cancellation of one stream's dial: cancelled when the session ends (the forwarder's token)
/// or when the server resets the stream while the dial is still running.
/// </summary>
/// <remarks>
/// The reset is observed through a continuation on <see cref="MuxStream.Completion"/>, which may run
/// at any time, also after the dial is over; the lock keeps it from touching a disposed source.
/// </remarks>
public sealed class DialCancellation : IDisposable
{
    private readonly object _lock = new();
    private readonly CancellationTokenSource _source;
    private bool _disposed;

    /// <summary>Links to <paramref name="sessionEnding"/> and watches <paramref name="stream"/>.</summary>
    public DialCancellation(MuxStream stream, CancellationToken sessionEnding)
    {
        _source = CancellationTokenSource.CreateLinkedTokenSource(sessionEnding);
        Token = _source.Token;
        // Not ExecuteSynchronously: the stream completes on the session's read loop, which must not
        // run socket cancellation callbacks.
        _ = stream.Completion.ContinueWith(
            static (_, state) =>
            {
                (DialCancellation self, MuxStream watched) = ((DialCancellation, MuxStream))state!;
                if (watched.IsReset)
                {
                    self.Cancel();
                }
            },
            (this, stream),
            CancellationToken.None,
            TaskContinuationOptions.None,
            TaskScheduler.Default);
    }

    /// <summary>Cancelled when the dial is no longer wanted.</summary>
    public CancellationToken Token { get; }

    /// <inheritdoc />
    public void Dispose()
    {
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
                _source.Cancel();
            }
        }
    }
}
