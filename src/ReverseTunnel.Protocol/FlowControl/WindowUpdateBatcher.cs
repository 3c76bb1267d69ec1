namespace ReverseTunnel.Protocol.FlowControl;

/// <summary>
/// Collects consumed octets and says when enough have gathered to be worth one WINDOW_UPDATE.
/// One update per quarter window keeps the sender busy (it always has 3/4 of a window in flight)
/// while sending 4 small frames per window instead of one per read.
/// </summary>
internal sealed class WindowUpdateBatcher(int window)
{
    private readonly int _threshold = Math.Max(1, window / 4);
    private long _pending;

    /// <summary>Records <paramref name="consumed"/> octets; returns the increment to send, or 0 to wait.</summary>
    public int Add(int consumed)
    {
        long total = Interlocked.Add(ref _pending, consumed);
        if (total < _threshold)
        {
            return 0;
        }

        // Only one caller wins the exchange, so an increment is never sent twice.
        long taken = Interlocked.Exchange(ref _pending, 0);
        return (int)Math.Min(taken, int.MaxValue);
    }
}
