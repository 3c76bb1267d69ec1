namespace ReverseTunnel.Protocol.Bridging;

/// <summary>
/// Chooses how many threads wait on epoll for the process's sockets. With inline completions
/// (<see cref="InlineSocketCompletions"/>) these threads do all of the tunnel's work: read, frame,
/// encrypt, send. The runtime then starts one per core. On the 2-core machine of docs/benchmarks.md
/// one thread per process did the same work for less CPU: HTTP keep-alive through the tunnel, 9
/// alternating pairs, median CPU per request -13% in ws-server and -19% in ws-agent, with
/// requests/s and ping-pong latency unchanged within noise (docs/performance.md, change 12). The
/// second thread mostly added wake-ups and hand-offs between the two.
/// </summary>
public static class SocketEngineThreads
{
    /// <summary>The runtime's switch (read once, when the first socket operation starts).</summary>
    public const string EnvironmentVariable = "DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT";

    /// <summary>
    /// ws-agent: one. It carries one session, whose frames all pass through one WebSocket read loop,
    /// so a second thread has no work of its own to run in parallel.
    /// </summary>
    public static int AgentDefault => 1;

    /// <summary>
    /// ws-server: one per core but one (at least one), leaving a core to the thread pool, timers and
    /// the GC. Sessions of different agents run in parallel on a larger machine; on 2 cores this is one.
    /// </summary>
    public static int ServerDefault => Math.Max(1, Environment.ProcessorCount - 1);

    /// <summary>
    /// The number of engine threads the runtime runs: the variable's value when set (both programs set
    /// it, see <see cref="SetUnlessConfigured"/>), else the runtime's own count with inline completions,
    /// one per core.
    /// </summary>
    public static int Current =>
        int.TryParse(Environment.GetEnvironmentVariable(EnvironmentVariable), System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture, out int count) && count > 0
            ? count
            : Environment.ProcessorCount;

    /// <summary>
    /// Sets the count unless the operator set the variable, or turned inline completions off: then
    /// these threads only hand completions to the pool, and the runtime's own count (one per 30
    /// cores) fits that. Call first thing in Main, after <see cref="InlineSocketCompletions"/> and
    /// before any socket exists.
    /// </summary>
    public static void SetUnlessConfigured(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is null &&
            InlineSocketCompletions.IsEnabled)
        {
            Environment.SetEnvironmentVariable(EnvironmentVariable, count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }
}
