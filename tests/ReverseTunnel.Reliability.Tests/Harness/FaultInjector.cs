using ReverseTunnel.Reliability.Tests.Faults;

namespace ReverseTunnel.Reliability.Tests.Harness;

/// <summary>
/// Now and then, a fault on one tunnel's agent connection while the load runs: a cut after a
/// random number of octets in a random direction, or a SIGKILL of the agent and a new one.
/// Requests that reach the slot's target truncated (a clean FIN before their end) are counted per
/// kind of fault they happened during, so that a known defect of one kind does not hide the others.
/// </summary>
internal sealed class FaultInjector(ReliabilityEnvironment environment, TunnelSlot slot, TimeSpan interval, FaultKinds kinds, Action<string> log)
{
    private int _cuts;
    private int _agentKills;
    private long _truncatedDuringCuts;
    private long _truncatedDuringAgentKills;

    /// <summary>Requests the target saw truncated while a cut and the reconnect after it happened.</summary>
    public long TruncatedDuringCuts => Interlocked.Read(ref _truncatedDuringCuts);

    /// <summary>Requests the target saw truncated while its agent was killed and replaced.</summary>
    public long TruncatedDuringAgentKills => Interlocked.Read(ref _truncatedDuringAgentKills);

    public int Cuts => Volatile.Read(ref _cuts);

    public int AgentKills => Volatile.Read(ref _agentKills);

    public int Total => Cuts + AgentKills;

    /// <summary>Injects a fault every <c>interval</c> until <paramref name="stop"/>; each fault waits for the agent to serve again.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        var random = new Random(17);
        int round = 0;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            int sessions = environment.Sessions(slot);
            long truncatedBefore = slot.Target.TruncatedRequests;
            bool kill = kinds switch
            {
                FaultKinds.AgentKill => true,
                FaultKinds.Cut => false,
                _ => round++ % 2 == 1,
            };
            if (kill)
            {
                await environment.RestartAgentAsync(slot).ConfigureAwait(false);
                Interlocked.Increment(ref _agentKills);
                Interlocked.Add(ref _truncatedDuringAgentKills, slot.Target.TruncatedRequests - truncatedBefore);
                log($"fault: agent {slot.Index} killed and restarted (now pid {slot.Agent.Id})");
                continue;
            }

            var direction = (Direction)random.Next(2);
            long after = random.NextInt64(1, 1024 * 1024);
            Task<long> cut = slot.Proxy.CutAfterAsync(direction, after);
            if (await Task.WhenAny(cut, Task.Delay(TimeSpan.FromSeconds(10), CancellationToken.None)).ConfigureAwait(false) != cut)
            {
                // Too little traffic on this tunnel to reach the count: disarm, try again later.
                slot.Proxy.Heal();
                continue;
            }

            Interlocked.Increment(ref _cuts);
            log($"fault: tunnel {slot.Index} cut {direction} after {after} octets");
            await environment.WaitForSessionAsync(slot, sessions + 1).ConfigureAwait(false);
            Interlocked.Add(ref _truncatedDuringCuts, slot.Target.TruncatedRequests - truncatedBefore);
        }
    }
}
