using ReverseTunnel.Agent.Reconnect;
using ReverseTunnel.Agent.Tests.Infrastructure;

namespace ReverseTunnel.Agent.Tests.Reconnect;

public sealed class ExponentialBackoffPolicyTests
{
    [Fact]
    public void NextDelay_UpperJitter_DoublesFromOneSecondUpToTheCap()
    {
        var policy = new ExponentialBackoffPolicy(random: new FixedRandom(1.0));

        double[] delays = [.. Enumerable.Range(0, 8).Select(_ => policy.NextDelay().TotalSeconds)];

        Assert.Equal([1, 2, 4, 8, 16, 30, 30, 30], delays);
    }

    [Fact]
    public void NextDelay_LowerJitter_NeverBelowOneSecond()
    {
        var policy = new ExponentialBackoffPolicy(random: new FixedRandom(0.0));

        Assert.All(Enumerable.Range(0, 10), _ => Assert.Equal(TimeSpan.FromSeconds(1), policy.NextDelay()));
    }

    [Fact]
    public void NextDelay_RandomJitter_StaysWithinTheEnvelope()
    {
        var policy = new ExponentialBackoffPolicy(maxDelay: TimeSpan.FromSeconds(45), random: new Random(1234));
        var seen = new HashSet<TimeSpan>();

        for (int attempt = 0; attempt < 200; attempt++)
        {
            TimeSpan ceiling = policy.CurrentCeiling;
            TimeSpan delay = policy.NextDelay();
            seen.Add(delay);
            Assert.InRange(delay, TimeSpan.FromSeconds(1), ceiling);
            Assert.True(ceiling <= TimeSpan.FromSeconds(45));
        }

        Assert.True(seen.Count > 100, "jitter must spread the delays");
    }

    [Fact]
    public void Reset_AfterGrowth_StartsOverFromOneSecond()
    {
        var policy = new ExponentialBackoffPolicy(random: new FixedRandom(1.0));
        for (int i = 0; i < 6; i++)
        {
            policy.NextDelay();
        }

        policy.Reset();

        Assert.Equal(TimeSpan.FromSeconds(1), policy.NextDelay());
        Assert.Equal(TimeSpan.FromSeconds(2), policy.NextDelay());
    }

    [Fact]
    public void Constructor_CapBelowInitial_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ExponentialBackoffPolicy(maxDelay: TimeSpan.FromMilliseconds(10)));
    }
}
