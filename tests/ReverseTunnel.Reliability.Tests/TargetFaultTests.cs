using System.Diagnostics;
using ReverseTunnel.Reliability.Tests.Faults;
using ReverseTunnel.Reliability.Tests.Harness;
using ReverseTunnel.Reliability.Tests.Traffic;
using Xunit.Abstractions;

namespace ReverseTunnel.Reliability.Tests;

/// <summary>
/// The internal service fails behind a healthy tunnel: its failures reach the clients as resets,
/// the agent's session is not disturbed, and nothing leaks.
/// </summary>
public class TargetFaultTests(ITestOutputHelper output)
{
    private readonly Action<string> _log = FaultSteps.Log(output);

    [Fact]
    public async Task TargetKilledMidResponse_ClientsAreReset_AgentStaysConnected()
    {
        await using ReliabilityEnvironment env = await ReliabilityEnvironment.StartAsync(1, _log);
        TunnelSlot slot = env.Slots[0];
        ResourceSnapshot baseline = await FaultSteps.WarmUpAsync(env);
        var tally = new TransferTally();

        slot.Proxy.SetBoth(new FaultSettings(BytesPerSecond: 2 * 1024 * 1024));
        Task<TransferResult>[] inFlight = TransferBatch.Start(slot.TunnelPort, TransferBatch.Mixed(9, 1024 * 1024, 4 * 1024 * 1024, seed: 7), FaultSteps.TransferDeadline);
        await FaultSteps.WaitForTrafficAsync(slot, Direction.ToAgent, 256 * 1024);
        await FaultSteps.WaitForTrafficAsync(slot, Direction.ToServer, 256 * 1024);
        int killed = slot.Target.Kill();
        _log($"target killed with {killed} connection(s) open");
        slot.Proxy.Heal();
        tally.AddRange(await Task.WhenAll(inFlight));

        // While it is down, every new connection is reset (the agent's dial is refused).
        tally.AddRange(await TransferBatch.RunAsync(slot.TunnelPort, TransferBatch.Mixed(6, 1, 64 * 1024, seed: 8), FaultSteps.TransferDeadline));
        _log(tally.ToString());
        Assert.True(killed > 0 && tally.Count(TransferOutcome.Reset) >= 6, $"Expected resets while the target was dead. {tally}");

        slot.Target.Restart();
        await FaultSteps.AssertServesAsync(slot, tally);
        FaultSteps.AssertRule(tally, env);
        Assert.Equal(1, env.Sessions(slot));
        await env.WaitForSettledAsync(baseline, LeakTolerance.Default, FaultSteps.SettleDeadline);
    }

    [Fact]
    public async Task TargetRefusingConnections_ClientsAreResetPromptly_AgentStaysConnected()
    {
        await using ReliabilityEnvironment env = await ReliabilityEnvironment.StartAsync(1, _log);
        TunnelSlot slot = env.Slots[0];
        ResourceSnapshot baseline = await FaultSteps.WarmUpAsync(env);
        var tally = new TransferTally();

        slot.Target.Refuse();
        var elapsed = Stopwatch.StartNew();
        TransferResult[] refused = await TransferBatch.RunAsync(slot.TunnelPort, TransferBatch.Mixed(30, 1, 256 * 1024, seed: 9), FaultSteps.TransferDeadline);
        elapsed.Stop();
        tally.AddRange(refused);
        _log($"{tally} in {elapsed.Elapsed.TotalSeconds:F1} s");

        Assert.All(refused, r => Assert.True(r.Outcome == TransferOutcome.Reset, $"A refused target must reach the client as a reset: {r}"));
        Assert.True(refused.Max(r => r.Elapsed) < TimeSpan.FromSeconds(5), $"Slowest reset took {refused.Max(r => r.Elapsed)}.");

        slot.Target.Restart();
        await FaultSteps.AssertServesAsync(slot, tally);
        FaultSteps.AssertRule(tally, env);
        Assert.Equal(1, env.Sessions(slot));
        await env.WaitForSettledAsync(baseline, LeakTolerance.Default, FaultSteps.SettleDeadline);
    }
}
