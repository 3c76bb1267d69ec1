using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
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
/// <para>
/// Each bucket is one timestamp, refilled by arithmetic when it is looked at (the generic cell rate
/// algorithm): no timer runs. <c>System.Threading.RateLimiting</c>'s partitioned limiter was used
/// before; its replenishing timer ticks every 100 ms for the life of the process, and each tick
/// woke a thread-pool worker that spun before it slept again: 10 of the 13 work items a second of
/// an idle ws-server, and most of its idle CPU (perf, dotnet-counters).
/// </para>
/// <para>
/// Memory follows the addresses failing right now: buckets that have refilled are dropped at most
/// once a minute, and at most <see cref="MaxTrackedAddresses"/> are kept. Beyond that (a botnet, or
/// one host walking the /64s of its /48), an address without a bucket of its own is counted in one
/// of <see cref="OverflowSlots"/> shared buckets, chosen by its network (IPv4 /16, IPv6 /48) through
/// a hash seeded per process. Its failures are still limited, and an attacker who exhausts a
/// shared bucket locks out its own networks and the few that share their slot, never everyone.
/// Addresses that have a bucket keep it.
/// </para>
/// </remarks>
internal sealed class AuthFailureLimiter
{
    /// <summary>Buckets kept at most (up to about 150 octets each with an IPv6 key: ~10 MB).</summary>
    internal const int MaxTrackedAddresses = 65_536;

    /// <summary>Shared buckets for the addresses beyond <see cref="MaxTrackedAddresses"/>.</summary>
    internal const int OverflowSlots = 4_096;

    // Refilled buckets are swept out at most this often, by a failure that comes along; when the
    // table is full, at most once a second (a sweep walks every bucket: 65,536 per failure would
    // make the limiter itself the attack).
    private static readonly TimeSpan SweepInterval = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan FullSweepInterval = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<IPAddress, Bucket> _buckets = new();
    private readonly Bucket?[] _overflow = new Bucket?[OverflowSlots];
    private readonly TimeProvider _time;
    private readonly TimeSpan _refillPeriod;
    private readonly long _periodTicks;
    private readonly long _blockedAfterTicks;
    private readonly Lock _sweepLock = new();
    private long _lastSweep;

    // The number of buckets in _buckets: ConcurrentDictionary.Count takes every internal lock, and
    // the count is read on every handshake from an address without a bucket.
    private int _tracked;

    public AuthFailureLimiter(IOptions<TunnelOptions> options, TimeProvider time)
    {
        TunnelOptions o = options.Value;
        _time = time;
        _refillPeriod = TimeSpan.FromMinutes(1) / o.AuthFailuresPerMinute;
        _periodTicks = Math.Max(1, (long)(_refillPeriod.TotalSeconds * time.TimestampFrequency));

        // A bucket owes "debt" = its timestamp minus now; each failure adds one period. It has no
        // permit left once the debt exceeds burst - 1 periods, that is after burst failures in a row.
        _blockedAfterTicks = (o.AuthFailureBurst - 1) * _periodTicks;
        _lastSweep = time.GetTimestamp();
    }

    /// <summary>
    /// Seconds a refused address should wait: one refill period, at least 1 s (Retry-After is whole
    /// seconds).
    /// </summary>
    public int RetryAfterSeconds => Math.Max(1, (int)Math.Ceiling(_refillPeriod.TotalSeconds));

    /// <summary>Addresses with a bucket of their own right now (for tests).</summary>
    internal int TrackedAddresses => Volatile.Read(ref _tracked);

    /// <summary>True when <paramref name="address"/> has no failures left; takes nothing.</summary>
    public bool IsBlocked(IPAddress? address)
    {
        IPAddress key = Key(address);
        if (!_buckets.TryGetValue(key, out Bucket? bucket) &&
            (Volatile.Read(ref _tracked) < MaxTrackedAddresses || (bucket = Volatile.Read(ref _overflow[OverflowSlot(key)])) is null))
        {
            return false;
        }

        return IsBlocked(bucket, _time.GetTimestamp());
    }

    /// <summary>Counts one failed authentication from <paramref name="address"/>.</summary>
    public void RecordFailure(IPAddress? address)
    {
        long now = _time.GetTimestamp();
        SweepIfDue(now);
        IPAddress key = Key(address);
        if (!_buckets.TryGetValue(key, out Bucket? bucket))
        {
            bucket = Volatile.Read(ref _tracked) < MaxTrackedAddresses ? Track(key, now) : SharedBucket(key, now);
        }

        while (true)
        {
            long due = Volatile.Read(ref bucket.Due);
            if (IsOutOfPermits(due, now))
            {
                // Out of permits: a failure while refused takes nothing, as a token bucket would.
                return;
            }

            if (Interlocked.CompareExchange(ref bucket.Due, Math.Max(due, now) + _periodTicks, due) == due)
            {
                return;
            }
        }
    }

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

    private bool IsBlocked(Bucket bucket, long now) => IsOutOfPermits(Volatile.Read(ref bucket.Due), now);

    /// <summary>The one test of the threshold: the bucket owes more than burst - 1 periods.</summary>
    private bool IsOutOfPermits(long due, long now) => due - now > _blockedAfterTicks;

    /// <summary>Drops the buckets that have refilled completely: once a minute, once a second while the table is full.</summary>
    private void SweepIfDue(long now)
    {
        if (!SweepDue(Interlocked.Read(ref _lastSweep)))
        {
            return;
        }

        lock (_sweepLock)
        {
            if (!SweepDue(_lastSweep))
            {
                return;
            }

            foreach (KeyValuePair<IPAddress, Bucket> entry in _buckets)
            {
                // A failure racing with this removal may be forgiven once; it cannot be doubled.
                if (Volatile.Read(ref entry.Value.Due) <= now && _buckets.TryRemove(entry))
                {
                    Interlocked.Decrement(ref _tracked);
                }
            }

            Interlocked.Exchange(ref _lastSweep, now);
        }
    }

    private bool SweepDue(long lastSweep) =>
        _time.GetElapsedTime(lastSweep) >= (Volatile.Read(ref _tracked) < MaxTrackedAddresses ? SweepInterval : FullSweepInterval);

    /// <summary>A bucket of the address's own; the count may pass the cap by the few adds that race.</summary>
    private Bucket Track(IPAddress key, long now)
    {
        var fresh = new Bucket(now);
        if (_buckets.TryAdd(key, fresh))
        {
            Interlocked.Increment(ref _tracked);
            return fresh;
        }

        return _buckets.TryGetValue(key, out Bucket? existing) ? existing : SharedBucket(key, now);
    }

    private Bucket SharedBucket(IPAddress key, long now)
    {
        ref Bucket? slot = ref _overflow[OverflowSlot(key)];
        return Volatile.Read(ref slot) ?? Interlocked.CompareExchange(ref slot, new Bucket(now), null) ?? slot!;
    }

    /// <summary>
    /// The shared bucket of an address's network: its IPv4 /16 or IPv6 /48, hashed with a seed
    /// chosen per process, so that nobody can aim a network of theirs at another's slot.
    /// </summary>
    internal static int OverflowSlot(IPAddress key)
    {
        Span<byte> bytes = stackalloc byte[16];
        key.TryWriteBytes(bytes, out int length);
        int network = length == 4 ? 2 : 6;
        var hash = new HashCode();
        hash.AddBytes(bytes[..network]);
        return (int)((uint)hash.ToHashCode() % OverflowSlots);
    }

    /// <summary>One address's bucket: full when <see cref="Due"/> is not after now.</summary>
    private sealed class Bucket(long due)
    {
        /// <summary>When the bucket is full again (a <see cref="TimeProvider"/> timestamp).</summary>
        public long Due = due;
    }
}
