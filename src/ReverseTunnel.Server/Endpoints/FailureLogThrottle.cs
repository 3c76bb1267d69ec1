using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;
using ReverseTunnel.Server.Diagnostics;

namespace ReverseTunnel.Server.Endpoints;

/// <summary>
/// Logs the 429 <c>too_many_failures</c> refusals without becoming a denial of service itself: the
/// first refusal of an address in each interval gets a line (1025); the rest are counted and
/// summarised in one line (1026) at most once per interval. Every refusal is still counted in the
/// <c>tunnel.auth.failures</c> metric.
/// </summary>
internal sealed class FailureLogThrottle(ILogger logger, TimeProvider time, TimeSpan interval)
{
    // Past this many distinct addresses in one interval (a botnet), only the summary is written.
    private const int MaxAddressesPerInterval = 1_000;

    private readonly ConcurrentDictionary<IPAddress, bool> _announced = new();
    private readonly Lock _lock = new();
    private long _intervalStart = time.GetTimestamp();
    private long _suppressed;

    /// <summary>Records one refusal of <paramref name="address"/>, logging it or counting it.</summary>
    public void Refused(IPAddress? address, int retryAfterSeconds)
    {
        IPAddress key = AuthFailureLimiter.Key(address);
        FlushIfDue();
        if (_announced.Count < MaxAddressesPerInterval && _announced.TryAdd(key, true))
        {
            ServerLog.TooManyFailures(logger, address, retryAfterSeconds);
            return;
        }

        Interlocked.Increment(ref _suppressed);
    }

    private void FlushIfDue()
    {
        if (time.GetElapsedTime(Interlocked.Read(ref _intervalStart)) < interval)
        {
            return;
        }

        long count;
        int addresses;
        TimeSpan elapsed;
        lock (_lock)
        {
            elapsed = time.GetElapsedTime(_intervalStart);
            if (elapsed < interval)
            {
                return;
            }

            count = Interlocked.Exchange(ref _suppressed, 0);
            addresses = _announced.Count;
            _announced.Clear();
            Interlocked.Exchange(ref _intervalStart, time.GetTimestamp());
        }

        if (count > 0)
        {
            ServerLog.TooManyFailuresSummary(logger, count, addresses, elapsed);
        }
    }
}
