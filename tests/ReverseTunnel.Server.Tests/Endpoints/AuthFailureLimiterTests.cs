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
    public void RecordFailure_AMinuteAfterBucketsRefilled_DropsThem()
    {
        AuthFailureLimiter limiter = Create(burst: 5, perMinute: 60);
        for (int i = 0; i < 100; i++)
        {
            limiter.RecordFailure(new IPAddress([10, 0, (byte)(i / 256), (byte)i]));
        }

        Assert.Equal(100, limiter.TrackedAddresses);
        _time.Advance(TimeSpan.FromSeconds(61));
        limiter.RecordFailure(Client);

        Assert.Equal(1, limiter.TrackedAddresses);
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

        Assert.True(limiter.IsBlocked(IPAddress.Parse("198.51.100.3")));
        Assert.False(limiter.IsBlocked(new IPAddress([10, 0, 0, 1])));
        Assert.Equal(AuthFailureLimiter.MaxTrackedAddresses + 1, limiter.TrackedAddresses);
    }

    private AuthFailureLimiter Create(int burst, int perMinute = 60) =>
        new(Options.Create(new TunnelOptions { AuthFailureBurst = burst, AuthFailuresPerMinute = perMinute }), _time);
}
