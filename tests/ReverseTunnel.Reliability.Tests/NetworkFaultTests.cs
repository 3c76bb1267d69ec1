using System.Diagnostics;
using ReverseTunnel.Reliability.Tests.Faults;
using ReverseTunnel.Reliability.Tests.Harness;
using ReverseTunnel.Reliability.Tests.Traffic;
using Xunit.Abstractions;

namespace ReverseTunnel.Reliability.Tests;

/// <summary>
/// Faults on the agent's connection to the server, injected by the <see cref="FaultProxy"/>
/// between the real ws-agent and ws-server: every transfer is intact or visibly reset, the agent
/// recovers by itself, and nothing leaks.
/// </summary>
public class NetworkFaultTests(ITestOutputHelper output)
{
    private readonly Action<string> _log = FaultSteps.Log(output);

    [Fact]
    public async Task Latency_WithJitter_EveryTransferCompletesIntact()
    {
        await using ReliabilityEnvironment env = await ReliabilityEnvironment.StartAsync(1, _log);
        TunnelSlot slot = env.Slots[0];
        ResourceSnapshot baseline = await FaultSteps.WarmUpAsync(env);
        var tally = new TransferTally();

        slot.Proxy.SetBoth(new FaultSettings(Latency: TimeSpan.FromMilliseconds(40), Jitter: TimeSpan.FromMilliseconds(30)));
        tally.AddRange(await TransferBatch.RunAsync(slot.TunnelPort, TransferBatch.Mixed(24, 1, 2 * 1024 * 1024, seed: 1), FaultSteps.TransferDeadline));
        slot.Proxy.Heal();
        _log(tally.ToString());

        // Latency is no failure: nothing may be reset, and the session must have stayed up.
        Assert.Equal(tally.Transfers, tally.Count(TransferOutcome.Completed));
        Assert.Equal(1, env.Sessions(slot));
        FaultSteps.AssertRule(tally, env);
        await FaultSteps.AssertServesAsync(slot);
        await env.WaitForSettledAsync(baseline, LeakTolerance.Default, FaultSteps.SettleDeadline);
    }

    [Fact]
    public async Task BandwidthThrottled_EveryTransferCompletesIntact()
    {
        const long rate = 3 * 1024 * 1024;
        await using ReliabilityEnvironment env = await ReliabilityEnvironment.StartAsync(1, _log);
        TunnelSlot slot = env.Slots[0];
        ResourceSnapshot baseline = await FaultSteps.WarmUpAsync(env);
        var tally = new TransferTally();
        long toAgentBefore = slot.Proxy.Forwarded(Direction.ToAgent);

        slot.Proxy.SetBoth(new FaultSettings(BytesPerSecond: rate));
        var elapsed = Stopwatch.StartNew();
        tally.AddRange(await TransferBatch.RunAsync(slot.TunnelPort, TransferBatch.Mixed(12, 64 * 1024, 2 * 1024 * 1024, seed: 2), FaultSteps.TransferDeadline));
        elapsed.Stop();
        slot.Proxy.Heal();
        long toAgent = slot.Proxy.Forwarded(Direction.ToAgent) - toAgentBefore;
        _log($"{tally}; {toAgent:N0} octets to the agent in {elapsed.Elapsed.TotalSeconds:F1} s");

        // The cap was real (so the test throttled something), and nothing failed under it.
        Assert.True(toAgent / elapsed.Elapsed.TotalSeconds < rate * 1.3, $"{toAgent} octets in {elapsed.Elapsed}: the proxy did not throttle.");
        Assert.Equal(tally.Transfers, tally.Count(TransferOutcome.Completed));
        Assert.Equal(1, env.Sessions(slot));
        FaultSteps.AssertRule(tally, env);
        await FaultSteps.AssertServesAsync(slot);
        await env.WaitForSettledAsync(baseline, LeakTolerance.Default, FaultSteps.SettleDeadline);
    }

    [Theory]
    [InlineData(Direction.ToAgent, 700_001)]
    [InlineData(Direction.ToServer, 300_007)]
    public async Task ConnectionCutMidFrame_TransfersIntactOrReset_AgentReconnectsByItself(Direction direction, long cutAfter)
    {
        await using ReliabilityEnvironment env = await ReliabilityEnvironment.StartAsync(1, _log);
        TunnelSlot slot = env.Slots[0];
        ResourceSnapshot baseline = await FaultSteps.WarmUpAsync(env);
        var tally = new TransferTally();

        // Slow enough that the transfers are still running when the cut comes.
        slot.Proxy.SetBoth(new FaultSettings(BytesPerSecond: 4 * 1024 * 1024));
        Task<TransferResult>[] inFlight = TransferBatch.Start(slot.TunnelPort, TransferBatch.Mixed(9, 1024 * 1024, 4 * 1024 * 1024, seed: 3), FaultSteps.TransferDeadline);
        await FaultSteps.WaitForTrafficAsync(slot, direction, 64 * 1024);
        long forwarded = await slot.Proxy.CutAfterAsync(direction, cutAfter).WaitAsync(FaultSteps.TransferDeadline);
        _log($"cut {direction} after {forwarded} more octets");
        slot.Proxy.Heal();
        tally.AddRange(await Task.WhenAll(inFlight));
        _log(tally.ToString());

        FaultSteps.AssertRule(tally, env);
        Assert.True(tally.Count(TransferOutcome.Reset) > 0, $"The cut reset no transfer: it came too late to test anything. {tally}");
        await env.WaitForSessionAsync(slot, 2);
        Assert.False(slot.Agent.Exited.IsCompleted, "The agent exited after a cut.");
        await FaultSteps.AssertServesAsync(slot);
        await env.WaitForSettledAsync(baseline, LeakTolerance.Default, FaultSteps.SettleDeadline);
    }

    [Fact]
    public async Task Blackhole_AgentNoticesByKeepAlive_ReconnectsByItself()
    {
        await using ReliabilityEnvironment env = await ReliabilityEnvironment.StartAsync(1, _log, KeepAliveSettings.Short);
        TunnelSlot slot = env.Slots[0];
        ResourceSnapshot baseline = await FaultSteps.WarmUpAsync(env);
        var tally = new TransferTally();

        slot.Proxy.SetBoth(new FaultSettings(BytesPerSecond: 1024 * 1024));
        Task<TransferResult>[] inFlight = TransferBatch.Start(slot.TunnelPort, TransferBatch.Mixed(6, 2 * 1024 * 1024, 4 * 1024 * 1024, seed: 4), FaultSteps.TransferDeadline);
        await FaultSteps.WaitForTrafficAsync(slot, Direction.ToAgent, 128 * 1024);
        var silent = Stopwatch.StartNew();
        Assert.Equal(1, slot.Proxy.Blackhole());
        slot.Proxy.SetBoth(FaultSettings.None);

        // Nothing tells the agent: only its keep-alive can. Its new connection passes the proxy.
        await slot.Agent.WaitForLineAsync("Disconnected", FaultSteps.TransferDeadline);
        TimeSpan noticed = silent.Elapsed;
        await env.WaitForSessionAsync(slot, 2, FaultSteps.TransferDeadline);
        _log($"the agent noticed the blackhole after {noticed.TotalSeconds:F1} s and was serving again after {silent.Elapsed.TotalSeconds:F1} s");
        tally.AddRange(await Task.WhenAll(inFlight));
        _log(tally.ToString());

        FaultSteps.AssertRule(tally, env);
        Assert.True(tally.Count(TransferOutcome.Reset) > 0, $"No transfer was in flight in the blackhole. {tally}");
        await FaultSteps.AssertServesAsync(slot);
        await env.WaitForSettledAsync(baseline, LeakTolerance.Default, FaultSteps.SettleDeadline);
    }
}
