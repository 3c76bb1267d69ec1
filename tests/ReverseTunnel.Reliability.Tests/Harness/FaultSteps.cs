using System.Diagnostics;
using ReverseTunnel.Reliability.Tests.Traffic;
using Xunit.Abstractions;

namespace ReverseTunnel.Reliability.Tests.Harness;

/// <summary>The steps every fault test shares: warm up and measure, check the rule, check recovery and leaks.</summary>
internal static class FaultSteps
{
    /// <summary>Deadline of one transfer in a fault test: covers a keep-alive timeout at the defaults (15 s + 15 s) and a reconnect.</summary>
    public static readonly TimeSpan TransferDeadline = TimeSpan.FromSeconds(60);

    /// <summary>How long a test waits for fds, threads and sockets to come back to the baseline.</summary>
    public static readonly TimeSpan SettleDeadline = TimeSpan.FromSeconds(30);

    /// <summary>A writer to the test output that does not throw when called after the test ended.</summary>
    public static Action<string> Log(ITestOutputHelper output) => line =>
    {
        try
        {
            output.WriteLine($"[{DateTime.UtcNow:HH:mm:ss.fff}] {line}");
        }
        catch (InvalidOperationException)
        {
        }
    };

    /// <summary>
    /// Runs a few transfers of each kind through every tunnel (all must complete intact), waits
    /// until everything is idle, and returns the idle counts the test compares against at its end.
    /// </summary>
    public static async Task<ResourceSnapshot> WarmUpAsync(ReliabilityEnvironment environment)
    {
        foreach (TunnelSlot slot in environment.Slots)
        {
            TransferResult[] results = await TransferBatch.RunAsync(slot.TunnelPort, TransferBatch.Mixed(6, 1, 512 * 1024, seed: slot.Index), TransferDeadline);
            Assert.All(results, r => Assert.True(r.Outcome == TransferOutcome.Completed, $"warm-up: {r}"));
        }

        await WaitForIdleAsync(environment);
        return environment.Snapshot();
    }

    /// <summary>Waits until no tunnel or target connection is open any more.</summary>
    public static async Task WaitForIdleAsync(ReliabilityEnvironment environment)
    {
        var elapsed = Stopwatch.StartNew();
        while (true)
        {
            ResourceSnapshot now = environment.Snapshot();
            if (now.ServerTunnelSockets == 0 && now.AgentTargetSockets == 0 && now.TargetConnections == 0)
            {
                return;
            }

            if (elapsed.Elapsed > SettleDeadline)
            {
                throw new TimeoutException($"Still busy after {SettleDeadline.TotalSeconds} s: {now}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Waits until <paramref name="bytes"/> more octets have crossed the slot's proxy towards the agent: transfers are in flight.</summary>
    public static async Task WaitForTrafficAsync(TunnelSlot slot, Faults.Direction direction, long bytes)
    {
        long start = slot.Proxy.Forwarded(direction);
        var elapsed = Stopwatch.StartNew();
        while (slot.Proxy.Forwarded(direction) - start < bytes)
        {
            if (elapsed.Elapsed > TransferDeadline)
            {
                throw new TimeoutException($"Only {slot.Proxy.Forwarded(direction) - start} of {bytes} octets crossed the proxy ({direction}).");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>A new transfer of each kind works through the slot, without anybody touching the agent.</summary>
    public static async Task AssertServesAsync(TunnelSlot slot, TransferTally? tally = null)
    {
        TransferResult[] results = await TransferBatch.RunAsync(slot.TunnelPort,
        [
            new(TransferKind.Download, 300_000, 11),
            new(TransferKind.Upload, 300_000, 12),
            new(TransferKind.Echo, 300_000, 13),
        ], TransferDeadline);
        tally?.AddRange(results);
        Assert.All(results, r => Assert.True(r.Outcome == TransferOutcome.Completed, $"after recovery: {r}"));
    }

    /// <summary>
    /// The rule, from both ends: every transfer complete with the right SHA-256, or a reset (or
    /// refusal) the client saw; and no request reached a target as a clean FIN before its end.
    /// </summary>
    public static void AssertRule(TransferTally tally, ReliabilityEnvironment environment)
    {
        AssertClientRule(tally);
        AssertTargetRule(environment.Slots.Sum(s => s.Target.TruncatedRequests), tally.ToString());
    }

    /// <summary>The client's side of the rule: complete and intact, or a visible reset or refusal.</summary>
    public static void AssertClientRule(TransferTally tally) =>
        Assert.True(tally.Violations == 0, $"Transfers broke the rule (intact, or a visible reset): {tally}");

    /// <summary>The target's side: a request cut short must reach it as a reset, never as a FIN that completes it.</summary>
    public static void AssertTargetRule(long truncatedRequests, string context) =>
        Assert.True(truncatedRequests == 0, $"{truncatedRequests} request(s) reached a target as a clean FIN before their announced length: a failure passed on as a normal end. {context}");
}
