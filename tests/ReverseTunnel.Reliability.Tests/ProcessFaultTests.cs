using ReverseTunnel.Reliability.Tests.Faults;
using ReverseTunnel.Reliability.Tests.Harness;
using ReverseTunnel.Reliability.Tests.Traffic;
using Xunit.Abstractions;

namespace ReverseTunnel.Reliability.Tests;

/// <summary>
/// ws-server and ws-agent killed (SIGKILL, as an OOM kill or a crash) while transfers run, then
/// started again: every transfer intact or visibly reset, the tunnel served again, nothing leaked.
/// </summary>
public class ProcessFaultTests(ITestOutputHelper output)
{
    private readonly Action<string> _log = FaultSteps.Log(output);

    [Fact]
    public async Task ServerKilledAndRestarted_InFlightTransfersReset_AgentReconnectsByItself()
    {
        await using ReliabilityEnvironment env = await ReliabilityEnvironment.StartAsync(1, _log);
        TunnelSlot slot = env.Slots[0];
        ResourceSnapshot baseline = await FaultSteps.WarmUpAsync(env);
        var tally = new TransferTally();
        int agentPid = slot.Agent.Id;

        slot.Proxy.SetBoth(new FaultSettings(BytesPerSecond: 2 * 1024 * 1024));
        Task<TransferResult>[] inFlight = TransferBatch.Start(slot.TunnelPort, TransferBatch.Mixed(9, 1024 * 1024, 4 * 1024 * 1024, seed: 5), FaultSteps.TransferDeadline);
        await FaultSteps.WaitForTrafficAsync(slot, Direction.ToAgent, 256 * 1024);
        await FaultSteps.WaitForTrafficAsync(slot, Direction.ToServer, 256 * 1024);
        await env.RestartServerAsync(whileDown: async () =>
        {
            slot.Proxy.Heal();
            tally.AddRange(await Task.WhenAll(inFlight));
            _log($"in flight when the server was killed: {tally}");
        });

        // The same agent process comes back by itself.
        await env.WaitForSessionAsync(slot, 1, FaultSteps.TransferDeadline);
        Assert.Equal(agentPid, slot.Agent.Id);
        Assert.False(slot.Agent.Exited.IsCompleted, "The agent exited when the server died.");
        await FaultSteps.AssertServesAsync(slot, tally);
        _log(tally.ToString());

        FaultSteps.AssertRule(tally, env);
        await env.WaitForSettledAsync(baseline, LeakTolerance.Default, FaultSteps.SettleDeadline);
    }

    [Fact]
    public async Task AgentKilledAndRestarted_InFlightTransfersReset_NewAgentServes()
    {
        await using ReliabilityEnvironment env = await ReliabilityEnvironment.StartAsync(1, _log);
        TunnelSlot slot = env.Slots[0];
        ResourceSnapshot baseline = await FaultSteps.WarmUpAsync(env);
        var tally = new TransferTally();

        slot.Proxy.SetBoth(new FaultSettings(BytesPerSecond: 2 * 1024 * 1024));
        Task<TransferResult>[] inFlight = TransferBatch.Start(slot.TunnelPort, TransferBatch.Mixed(9, 1024 * 1024, 4 * 1024 * 1024, seed: 6), FaultSteps.TransferDeadline);
        await FaultSteps.WaitForTrafficAsync(slot, Direction.ToAgent, 256 * 1024);
        await FaultSteps.WaitForTrafficAsync(slot, Direction.ToServer, 256 * 1024);
        await slot.Agent.KillAsync();
        slot.Proxy.Heal();
        tally.AddRange(await Task.WhenAll(inFlight));
        _log($"in flight when the agent was killed: {tally}");
        Assert.True(tally.Count(TransferOutcome.Reset) > 0, $"No transfer was in flight when the agent died. {tally}");

        slot.Agent = env.StartAgent(slot);
        await env.WaitForSessionAsync(slot, 2, FaultSteps.TransferDeadline);
        await FaultSteps.AssertServesAsync(slot, tally);
        _log(tally.ToString());

        FaultSteps.AssertRule(tally, env);
        await env.WaitForSettledAsync(baseline, LeakTolerance.Default, FaultSteps.SettleDeadline);
    }
}
