namespace ReverseTunnel.Reliability.Tests.Faults;

/// <summary>
/// A one-shot cut: once a connection has forwarded <see cref="Bytes"/> more octets in the armed
/// direction, it forwards exactly up to that count (whatever frame or TLS record that splits) and is
/// reset on both sides.
/// </summary>
internal sealed class CutArm(long bytes)
{
    private readonly TaskCompletionSource<long> _fired = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _lock = new();
    private long _remaining = bytes;

    public long Bytes { get; } = bytes;

    /// <summary>Completes with the octets forwarded before the cut when it has happened.</summary>
    public Task<long> Fired => _fired.Task;

    /// <summary>How many of <paramref name="length"/> octets may still pass; 0..length. Thread-safe: connections share one arm.</summary>
    public int Take(int length)
    {
        lock (_lock)
        {
            if (_fired.Task.IsCompleted)
            {
                return length;
            }

            int allowed = (int)Math.Min(length, _remaining);
            _remaining -= allowed;
            return allowed;
        }
    }

    /// <summary>True when the armed count is reached and the connection must be cut now.</summary>
    public bool Due
    {
        get
        {
            lock (_lock)
            {
                return !_fired.Task.IsCompleted && _remaining == 0;
            }
        }
    }

    public void MarkFired() => _fired.TrySetResult(Bytes);
}
