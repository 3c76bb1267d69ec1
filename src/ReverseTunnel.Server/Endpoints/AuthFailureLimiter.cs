using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using ReverseTunnel.Server.Configuration;

namespace ReverseTunnel.Server.Endpoints;

/// <summary>
/// Rate-limits failed authentication per source address: a token bucket per address (an IPv6
/// address counts by its /64, which one host usually owns whole) of <c>Tunnel:AuthFailureBurst</c>
/// permits, refilled at <c>Tunnel:AuthFailuresPerMinute</c>. Only failures take a permit, so an
/// agent with a valid token is never slowed by its own successes; the bucket is looked at (without
/// taking anything) before the token lookup, so that a guessing client costs no hashing once it is
/// out of allowance.
/// </summary>
/// <remarks>
/// ASP.NET Core's rate-limiting middleware limits every request; here only failures count, so the
/// same primitive (<see cref="PartitionedRateLimiter"/>) is used directly. Idle, refilled buckets
/// are dropped by the limiter itself, so memory follows the addresses failing right now.
/// </remarks>
internal sealed class AuthFailureLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<IPAddress> _limiter;
    private readonly TimeSpan _refillPeriod;

    public AuthFailureLimiter(IOptions<TunnelOptions> options)
    {
        TunnelOptions o = options.Value;
        _refillPeriod = TimeSpan.FromMinutes(1) / o.AuthFailuresPerMinute;
        int burst = o.AuthFailureBurst;
        TimeSpan period = _refillPeriod;
        _limiter = PartitionedRateLimiter.Create<IPAddress, IPAddress>(address => RateLimitPartition.GetTokenBucketLimiter(
            address,
            _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = burst,
                TokensPerPeriod = 1,
                ReplenishmentPeriod = period,
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
    }

    /// <summary>
    /// Seconds a refused address should wait: one refill period, at least 1 s (Retry-After is whole
    /// seconds).
    /// </summary>
    public int RetryAfterSeconds => Math.Max(1, (int)Math.Ceiling(_refillPeriod.TotalSeconds));

    /// <summary>True when <paramref name="address"/> has no failures left; takes nothing.</summary>
    public bool IsBlocked(IPAddress? address)
    {
        // Not AttemptAcquire(0): once the partitioned limiter's heartbeat has replenished a bucket,
        // a zero-permit probe succeeds even with no permit left (found by
        // PreAuthHardeningTests.Handshake_WrongTokensBeyondBurst_Returns429WithRetryAfterAndOthersStillConnect).
        return _limiter.GetStatistics(Key(address)) is { CurrentAvailablePermits: <= 0 };
    }

    /// <summary>Counts one failed authentication from <paramref name="address"/>.</summary>
    public void RecordFailure(IPAddress? address)
    {
        using RateLimitLease lease = _limiter.AttemptAcquire(Key(address), 1);
    }

    public void Dispose() => _limiter.Dispose();

    /// <summary>The partition of an address: IPv4 as is (mapped IPv6 too), IPv6 by its /64.</summary>
    internal static IPAddress Key(IPAddress? address)
    {
        if (address is null)
        {
            return IPAddress.None;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }

        // Always a fresh instance: the limiter keeps its key, and the server's IPAddress objects are not ours to keep.
        byte[] bytes = address.GetAddressBytes();
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            Array.Clear(bytes, 8, 8);
        }

        return new IPAddress(bytes);
    }
}
