namespace ReverseTunnel.Protocol.FlowControl;

/// <summary>
/// Collects consumed octets and says when enough have gathered to be worth one WINDOW_UPDATE.
/// One update per quarter window keeps the sender busy (it always has 3/4 of a window in flight)
/// while sending 4 small frames per window instead of one per read.
/// </summary>
internal sealed class WindowUpdateBatcher(int window)
{
    private long _pending;
    private volatile int _threshold = Math.Max(1, window / 4);

    /// <summary>Pending octets that make a WINDOW_UPDATE worth sending: a quarter window.</summary>
    public int Threshold => _threshold;

    /// <summary>Follows a window that grew, so that updates stay at a quarter of it.</summary>
    public void Resize(int window) => _threshold = Math.Max(1, window / 4);

    /// <summary>
    /// Records <paramref name="consumed"/> octets; returns the increment to send, or 0 to wait.
    /// <paramref name="urgent"/> sends whatever is pending, for a peer nearly out of credit.
    /// </summary>
    public int Add(int consumed, bool urgent = false)
    {
        long total = Interlocked.Add(ref _pending, consumed);
        if (total <= 0 || (total < _threshold && !urgent))
        {
            return 0;
        }

        // Only one caller wins the exchange, so an increment is never sent twice.
        long taken = Interlocked.Exchange(ref _pending, 0);
        return (int)Math.Min(taken, int.MaxValue);
    }
}
