using System.Net;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using ReverseTunnel.Server.Configuration;
using ReverseTunnel.Server.Endpoints;

namespace ReverseTunnel.Server.Tests.Endpoints;

public sealed class AuthFailureLimiterTests
{
    private static readonly IPAddress Client = IPAddress.Parse("192.0.2.10");

    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void IsBlocked_FewerFailuresThanBurst_ReturnsFalse()
    {
        AuthFailureLimiter limiter = Create(burst: 3);
        limiter.RecordFailure(Client);
        limiter.RecordFailure(Client);

        Assert.False(limiter.IsBlocked(Client));
    }

    [Fact]
    public void IsBlocked_BurstFailures_ReturnsTrueForThatAddressOnly()
    {
        AuthFailureLimiter limiter = Create(burst: 3);
        for (int i = 0; i < 3; i++)
        {
            limiter.RecordFailure(Client);
        }

        Assert.True(limiter.IsBlocked(Client));
        Assert.False(limiter.IsBlocked(IPAddress.Parse("192.0.2.11")));
    }

    [Fact]
    public void IsBlocked_OneRefillPeriodLater_AllowsExactlyOneMoreFailure()
    {
        AuthFailureLimiter limiter = Create(burst: 3, perMinute: 6); // one permit per 10 s
        for (int i = 0; i < 3; i++)
        {
            limiter.RecordFailure(Client);
        }

        _time.Advance(TimeSpan.FromSeconds(9.9));
        Assert.True(limiter.IsBlocked(Client));

        _time.Advance(TimeSpan.FromSeconds(0.1));
        Assert.False(limiter.IsBlocked(Client));
        limiter.RecordFailure(Client);
        Assert.True(limiter.IsBlocked(Client));
        Assert.Equal(10, limiter.RetryAfterSeconds);
    }

    [Fact]
    public void RecordFailure_WhileBlocked_DoesNotLengthenThePenalty()
    {
        AuthFailureLimiter limiter = Create(burst: 2, perMinute: 60);
        for (int i = 0; i < 100; i++)
        {
            limiter.RecordFailure(Client);
        }

        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.False(limiter.IsBlocked(Client));
    }

    [Fact]
    public void IsBlocked_AfterFullRefill_AllowsAWholeBurstAgain()
    {
        AuthFailureLimiter limiter = Create(burst: 3, perMinute: 60);
        for (int i = 0; i < 3; i++)
        {
            limiter.RecordFailure(Client);
        }

        _time.Advance(TimeSpan.FromMinutes(10));
        limiter.RecordFailure(Client);
        limiter.RecordFailure(Client);

        Assert.False(limiter.IsBlocked(Client));
        limiter.RecordFailure(Client);
        Assert.True(limiter.IsBlocked(Client));
    }

    [Fact]
    public void IsBlocked_Ipv6SameSlash64_SharesOneBucket()
    {
        AuthFailureLimiter limiter = Create(burst: 2);
        limiter.RecordFailure(IPAddress.Parse("2001:db8:1:2::1"));
        limiter.RecordFailure(IPAddress.Parse("2001:db8:1:2:ffff::9"));

        Assert.True(limiter.IsBlocked(IPAddress.Parse("2001:db8:1:2::77")));
        Assert.False(limiter.IsBlocked(IPAddress.Parse("2001:db8:1:3::1")));
    }

    [Fact]
    public void RecordFailure_AMinuteAfterBucketsRefilled_DropsThemAndKeepsTheOnesStillOwing()
    {
        AuthFailureLimiter limiter = Create(burst: 5, perMinute: 1); // one permit per minute
        for (int i = 0; i < 100; i++)
        {
            limiter.RecordFailure(new IPAddress([10, 0, (byte)(i / 256), (byte)i]));
        }

        IPAddress owing = IPAddress.Parse("192.0.2.99");
        for (int i = 0; i < 5; i++)
        {
            limiter.RecordFailure(owing);
        }

        Assert.Equal(101, limiter.TrackedAddresses);
        _time.Advance(TimeSpan.FromSeconds(61));
        limiter.RecordFailure(Client);

        // The hundred refilled after one minute. The one five failures deep has one permit back and
        // still owes four: kept, one more failure blocks it (a fresh bucket would allow five).
        Assert.Equal(2, limiter.TrackedAddresses);
        limiter.RecordFailure(owing);
        Assert.True(limiter.IsBlocked(owing));
    }

    [Fact]
    public void RecordFailure_TableFull_FurtherAddressesShareOneBucket()
    {
        AuthFailureLimiter limiter = Create(burst: 2, perMinute: 60);
        for (int i = 0; i < AuthFailureLimiter.MaxTrackedAddresses; i++)
        {
            limiter.RecordFailure(new IPAddress([10, (byte)(i >> 16), (byte)(i >> 8), (byte)i]));
        }

        limiter.RecordFailure(IPAddress.Parse("198.51.100.1"));
        limiter.RecordFailure(IPAddress.Parse("198.51.100.2"));

        // Untracked addresses of the same /16 share the exhausted bucket; tracked ones keep their
        // own, and a network in another slot is not affected.
        Assert.True(limiter.IsBlocked(IPAddress.Parse("198.51.100.3")));
        Assert.True(limiter.IsBlocked(IPAddress.Parse("198.51.7.7")));
        Assert.False(limiter.IsBlocked(new IPAddress([10, 0, 0, 1])));
        Assert.False(limiter.IsBlocked(OtherSlotThan(IPAddress.Parse("198.51.100.1"))));
        Assert.Equal(AuthFailureLimiter.MaxTrackedAddresses, limiter.TrackedAddresses);
    }

    [Fact]
    public void RecordFailure_TableFull_SweepsRefilledBucketsOnceASecond()
    {
        AuthFailureLimiter limiter = Create(burst: 2, perMinute: 60);
        for (int i = 0; i < AuthFailureLimiter.MaxTrackedAddresses; i++)
        {
            limiter.RecordFailure(new IPAddress([10, (byte)(i >> 16), (byte)(i >> 8), (byte)i]));
        }

        _time.Advance(TimeSpan.FromSeconds(1));
        limiter.RecordFailure(Client);

        // Every bucket owed one second: all refilled and dropped, and the newcomer has its own again.
        Assert.Equal(1, limiter.TrackedAddresses);
        limiter.RecordFailure(Client);
        Assert.True(limiter.IsBlocked(Client));
        Assert.False(limiter.IsBlocked(IPAddress.Parse("192.0.2.11")));
    }

    [Fact]
    public async Task RecordFailure_ConcurrentFromManyThreads_CountsEveryFailure()
    {
        AuthFailureLimiter limiter = Create(burst: 8_000, perMinute: 1);
        Task[] writers = Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (int i = 0; i < 999; i++)
            {
                limiter.RecordFailure(Client);
            }
        })).ToArray();
        await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(30));

        // 7,992 of 8,000: not yet blocked; 8 more are exactly the burst.
        Assert.False(limiter.IsBlocked(Client));
        for (int i = 0; i < 8; i++)
        {
            limiter.RecordFailure(Client);
        }

        Assert.True(limiter.IsBlocked(Client));
    }

    [Fact]
    public void OverflowSlot_Ipv6_IsChosenByThe48()
    {
        Assert.Equal(
            AuthFailureLimiter.OverflowSlot(AuthFailureLimiter.Key(IPAddress.Parse("2001:db8:aa:1::1"))),
            AuthFailureLimiter.OverflowSlot(AuthFailureLimiter.Key(IPAddress.Parse("2001:db8:aa:ffff::2"))));
    }

    private static IPAddress OtherSlotThan(IPAddress address)
    {
        int taken = AuthFailureLimiter.OverflowSlot(address);
        for (int second = 0; second < 256; second++)
        {
            var candidate = new IPAddress([203, (byte)second, 113, 1]);
            if (AuthFailureLimiter.OverflowSlot(candidate) != taken)
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("no network in another slot among 256 (hash broken?)");
    }

    private AuthFailureLimiter Create(int burst, int perMinute = 60) =>
        new(Options.Create(new TunnelOptions { AuthFailureBurst = burst, AuthFailuresPerMinute = perMinute }), _time);
}
