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
    public void NextDelay_LowerJitter_HalfASecondFirstThenNeverBelowOneSecond()
    {
        var policy = new ExponentialBackoffPolicy(random: new FixedRandom(0.0));

        Assert.Equal(TimeSpan.FromMilliseconds(500), policy.NextDelay());
        Assert.All(Enumerable.Range(0, 10), _ => Assert.Equal(TimeSpan.FromSeconds(1), policy.NextDelay()));
    }

    [Fact]
    public void NextDelay_FirstAfterReset_IsSpreadBetweenHalfAndOneSecond()
    {
        // Many agents whose healthy session ended in the same instant (a server restart).
        var policy = new ExponentialBackoffPolicy(random: new Random(4321));
        var firsts = new List<TimeSpan>();

        for (int agent = 0; agent < 200; agent++)
        {
            policy.Reset();
            firsts.Add(policy.NextDelay());
        }

        Assert.All(firsts, d => Assert.InRange(d, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1)));
        Assert.True(firsts.Distinct().Count() > 100, "the first reconnect must be jittered");
        Assert.True(firsts.Max() - firsts.Min() > TimeSpan.FromMilliseconds(400), "the first reconnects must spread over the window");
    }

    [Fact]
    public void NextDelay_RandomJitter_StaysWithinTheEnvelope()
    {
        var policy = new ExponentialBackoffPolicy(maxDelay: TimeSpan.FromSeconds(45), random: new Random(1234));
        var seen = new HashSet<TimeSpan>();

        for (int attempt = 0; attempt < 200; attempt++)
        {
            TimeSpan floor = policy.CurrentFloor;
            TimeSpan ceiling = policy.CurrentCeiling;
            TimeSpan delay = policy.NextDelay();
            seen.Add(delay);
            Assert.Equal(attempt == 0 ? TimeSpan.FromMilliseconds(500) : TimeSpan.FromSeconds(1), floor);
            Assert.InRange(delay, floor, ceiling);
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
