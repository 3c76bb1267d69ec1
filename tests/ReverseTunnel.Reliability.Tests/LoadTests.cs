using System.Diagnostics;
using System.Globalization;
using ReverseTunnel.Reliability.Tests.Harness;
using ReverseTunnel.Reliability.Tests.Traffic;
using Xunit.Abstractions;

namespace ReverseTunnel.Reliability.Tests;

/// <summary>
/// The short load run for CI (the soak, bench/soak/run.sh, runs the same mix for 30 minutes):
/// a few hundred concurrent clients through three agents, with churn, mixed sizes, both directions
/// and faults on one agent's connection now and then; every transfer is checked.
/// </summary>
public class LoadTests(ITestOutputHelper output)
{
    private const int Clients = 300;

    private readonly Action<string> _log = FaultSteps.Log(output);

    /// <summary>30 s by default; RELIABILITY_LOAD_SECONDS changes it.</summary>
    private static TimeSpan Duration =>
        TimeSpan.FromSeconds(int.TryParse(Environment.GetEnvironmentVariable("RELIABILITY_LOAD_SECONDS"), CultureInfo.InvariantCulture, out int seconds) ? seconds : 30);

    [Fact]
    public async Task ManyClients_ThreeAgentsWithChurnAndFaults_EveryTransferIntactOrReset()
    {
        await using ReliabilityEnvironment env = await ReliabilityEnvironment.StartAsync(3, _log, agentLogLevel: "Information");
        ResourceSnapshot baseline = await FaultSteps.WarmUpAsync(env);
        var mix = new LoadMix([.. env.Slots.Select(s => s.TunnelPort)], Clients);
        var injector = new FaultInjector(env, env.Slots[0], TimeSpan.FromSeconds(2), FaultKinds.Cut | FaultKinds.AgentKill, _log);
        using var stopFaults = new CancellationTokenSource();

        var elapsed = Stopwatch.StartNew();
        Task faults = injector.RunAsync(stopFaults.Token);
        Task load = mix.RunAsync(Duration);
        await Task.Delay(Duration);
        await stopFaults.CancelAsync();
        await faults;
        await load;
        elapsed.Stop();
        env.Slots[0].Proxy.Heal();

        TransferTally tally = mix.Tally;
        long truncatedAtTargets = env.Slots.Sum(s => s.Target.TruncatedRequests);
        _log($"load: {Clients} clients, 3 agents, {elapsed.Elapsed.TotalSeconds:F0} s; faults injected: {injector.Total} ({injector.Cuts} cuts, {injector.AgentKills} agent kills)");
        _log($"load: {tally}");
        _log($"load: {tally.BytesChecked / elapsed.Elapsed.TotalSeconds / 1024 / 1024:F1} MiB/s checked; server: {env.Server.CountLines(@"stream \d+ ended")} streams ended, {env.Server.CountLines("connection from .* refused")} refused");
        _log($"load: requests truncated at the targets: {truncatedAtTargets} ({injector.TruncatedDuringAgentKills} while agent 0 was killed, {injector.TruncatedDuringCuts} during cuts)");

        FaultSteps.AssertClientRule(tally);

        // A SIGKILLed agent's target connections end with the kernel's FIN (the known defect that
        // AgentKilledAndRestarted_InFlightTransfersReset_NewAgentServes shows); nothing else may.
        FaultSteps.AssertTargetRule(truncatedAtTargets - injector.TruncatedDuringAgentKills, $"besides agent kills. {tally}");
        Assert.True(injector.Total >= 2, $"Only {injector.Total} fault(s) were injected.");
        Assert.True(tally.Count(TransferOutcome.Completed) >= 1000, $"Too little traffic to mean anything: {tally}");
        foreach (TunnelSlot slot in env.Slots)
        {
            await FaultSteps.AssertServesAsync(slot);
        }

        await env.WaitForSettledAsync(baseline, new LeakTolerance(Fds: 10, Threads: 16), FaultSteps.SettleDeadline);
    }
}
