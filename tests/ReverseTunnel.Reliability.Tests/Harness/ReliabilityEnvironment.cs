using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using ReverseTunnel.EndToEnd.Tests.Harness;
using ReverseTunnel.Reliability.Tests.Faults;
using ReverseTunnel.Reliability.Tests.Targets;

namespace ReverseTunnel.Reliability.Tests.Harness;

/// <summary>
/// A real ws-server and, per tunnel, a target, a <see cref="FaultProxy"/> in front of the server and
/// a real ws-agent that dials the server through it (pinned certificate, so the proxy's address
/// does not matter). Disposing kills every process and deletes the data directory.
/// </summary>
internal sealed class ReliabilityEnvironment : IAsyncDisposable
{
    public const string Token = "reliability-token-5f1c0de2a9b84e71";

    private readonly List<ChildProcess> _processes = [];
    private readonly List<TunnelSlot> _slots = [];
    private readonly Action<string> _log;

    private ReliabilityEnvironment(string dataDirectory, TimeSpan? keepAlive, string agentLogLevel, bool serverStreamLogs, Action<string> log)
    {
        ServerStreamLogs = serverStreamLogs;
        DataDirectory = dataDirectory;
        KeepAlive = keepAlive;
        AgentLogLevel = agentLogLevel;
        _log = log;
    }

    public string DataDirectory { get; }

    public TimeSpan? KeepAlive { get; }

    public string AgentLogLevel { get; }

    /// <summary>The server logs every tunnel connection (Debug 1032/1034); off for the soak, whose runner keeps every line.</summary>
    public bool ServerStreamLogs { get; }

    public ChildProcess Server { get; private set; } = null!;

    public int ServerPort { get; private set; }

    public string Fingerprint { get; private set; } = "";

    public IReadOnlyList<TunnelSlot> Slots => _slots;

    /// <summary>
    /// Starts the server and <paramref name="tunnels"/> tunnels (target, proxy, agent each) and waits
    /// until every tunnel port is served.
    /// </summary>
    public static async Task<ReliabilityEnvironment> StartAsync(int tunnels, Action<string> log, TimeSpan? keepAlive = null, string agentLogLevel = "Debug", bool serverStreamLogs = true)
    {
        var environment = new ReliabilityEnvironment(Directory.CreateTempSubdirectory("rt-rel-").FullName, keepAlive, agentLogLevel, serverStreamLogs, log);
        try
        {
            int[] ports = [.. Enumerable.Range(0, tunnels).Select(_ => FreePort.Next())];
            environment.WriteClients(ports);
            await environment.StartServerAsync(port: 0);
            for (int i = 0; i < tunnels; i++)
            {
                var target = new ServiceTarget();
                var proxy = new FaultProxy(environment.ServerPort);
                environment._slots.Add(new TunnelSlot(i, ports[i], target, proxy));
            }

            foreach (TunnelSlot slot in environment._slots)
            {
                slot.Agent = environment.StartAgent(slot);
            }

            await Task.WhenAll(environment._slots.Select(s => environment.WaitForSessionAsync(s, 1)));
            return environment;
        }
        catch
        {
            await environment.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts (or restarts) ws-server on <paramref name="port"/>; 0 picks a free one.</summary>
    public async Task StartServerAsync(int port)
    {
        Server = ChildProcess.Start("ws-server", ChildProcess.DllPath("ServerDll"),
        [
            "--Tunnel:ListenAddress=127.0.0.1",
            $"--Tunnel:ListenPort={port}",
            $"--Tunnel:DataDirectory={DataDirectory}",
            "--Tunnel:ShutdownTimeout=00:00:05",
            // Per-connection lines (1032 refused, 1034 ended): every stream the server accepted must end.
            $"--Logging:LogLevel:ReverseTunnel.Server={(ServerStreamLogs ? "Debug" : "Information")}",
            .. KeepAliveSettings.ServerArguments(KeepAlive),
        ]);
        _processes.Add(Server);
        Match listening = await Server.WaitForLineAsync(@"Listening on https://[^\s]*:(\d+)");
        ServerPort = int.Parse(listening.Groups[1].Value);
        Match fingerprint = await Server.WaitForLineAsync(@"SHA-256 fingerprint:? ([0-9A-Fa-f:]{64,95})");
        Fingerprint = fingerprint.Groups[1].Value;
        foreach (TunnelSlot slot in _slots)
        {
            slot.Proxy.UpstreamPort = ServerPort;
        }

        _log($"ws-server pid {Server.Id} listening on {ServerPort}");
    }

    /// <summary>Starts an agent for <paramref name="slot"/> that dials the server through the slot's proxy.</summary>
    public ChildProcess StartAgent(TunnelSlot slot)
    {
        var environment = new Dictionary<string, string?>
        {
            ["TUNNEL_PORT"] = slot.TunnelPort.ToString(),
            ["CLIENT_SIDE_DOMAIN"] = "127.0.0.1",
            ["CLIENT_SIDE_PORT"] = slot.Target.Port.ToString(),
            ["SERVER_IP_DOMAIN"] = "127.0.0.1",
            ["SERVER_PORT"] = slot.Proxy.Port.ToString(),
            ["CLIENT_UUID"] = Token,
            ["PINNED_CERT_SHA256"] = Fingerprint,
            ["LOG_LEVEL"] = AgentLogLevel,
            // A lost session is retried within a few seconds, not after a long back-off.
            ["RECONNECT_MAX_DELAY_SECONDS"] = "30",
        };
        KeepAliveSettings.AddAgentVariables(environment, KeepAlive);
        ChildProcess agent = ChildProcess.Start($"ws-agent-{slot.Index}", ChildProcess.DllPath("AgentDll"), [], environment);
        _processes.Add(agent);
        _log($"ws-agent {slot.Index} pid {agent.Id} for port {slot.TunnelPort} via proxy {slot.Proxy.Port}");
        return agent;
    }

    /// <summary>Sessions the current server has accepted for the slot's port.</summary>
    public int Sessions(TunnelSlot slot) => Server.CountLines(SessionPattern(slot));

    /// <summary>Waits until the current server has accepted <paramref name="count"/> sessions for the slot's port.</summary>
    public Task WaitForSessionAsync(TunnelSlot slot, int count, TimeSpan? timeout = null) =>
        Server.WaitForLineAsync(SessionPattern(slot), count, timeout);

    /// <summary>SIGKILL to the agent, then a new agent for the same slot, waited for until it serves.</summary>
    public async Task RestartAgentAsync(TunnelSlot slot)
    {
        int sessions = Sessions(slot);
        await slot.Agent.KillAsync();
        slot.Agent = StartAgent(slot);
        await WaitForSessionAsync(slot, sessions + 1);
    }

    /// <summary>SIGKILL to the server, then a new one on the same port; every agent must come back by itself.</summary>
    public async Task RestartServerAsync(Func<Task>? whileDown = null)
    {
        int port = ServerPort;
        await Server.KillAsync();
        if (whileDown is not null)
        {
            await whileDown();
        }

        await StartServerAsync(port);
    }

    /// <summary>What every process and socket counts now.</summary>
    public ResourceSnapshot Snapshot() => new(
        FdInventory.Read(Server.Id),
        [.. _slots.Select(s => FdInventory.Read(s.Agent.Id))],
        ProcessResources.Read(Server.Id),
        [.. _slots.Select(s => ProcessResources.Read(s.Agent.Id))],
        SocketCensus.WithLocalPort([.. _slots.Select(s => s.TunnelPort)]),
        SocketCensus.WithRemotePort([.. _slots.Select(s => s.Target.Port)]),
        _slots.Sum(s => s.Target.OpenConnections),
        SocketCensus.WithLocalPort([ServerPort]),
        SocketCensus.WithRemotePort([.. _slots.Select(s => s.Proxy.Port)]));

    /// <summary>
    /// Waits (polling, up to <paramref name="deadline"/>) until everything is idle and back within
    /// <paramref name="tolerance"/> of <paramref name="baseline"/>: no tunnel or target connection open, no extra session
    /// connection, fds and threads of every process near their baseline. Throws with both
    /// snapshots otherwise.
    /// </summary>
    public async Task<ResourceSnapshot> WaitForSettledAsync(ResourceSnapshot baseline, LeakTolerance tolerance, TimeSpan deadline)
    {
        var elapsed = Stopwatch.StartNew();
        ResourceSnapshot now;
        List<string> problems;
        while (true)
        {
            now = Snapshot();
            problems = Compare(baseline, now, tolerance);
            if (problems.Count == 0 || elapsed.Elapsed > deadline)
            {
                break;
            }

            await Task.Delay(250);
        }

        _log($"baseline: {baseline}");
        _log($"settled after {elapsed.Elapsed.TotalSeconds:F1} s: {now}");
        if (problems.Count > 0)
        {
            string growth = $"ws-server fds: {FdInventory.Growth(baseline.ServerFdKinds, now.ServerFdKinds)}"
                + string.Concat(now.AgentFdKinds.Select((kinds, i) => $"; ws-agent {i} fds: {FdInventory.Growth(baseline.AgentFdKinds[i], kinds)}"));
            throw new InvalidOperationException($"Not back to the idle baseline within {deadline.TotalSeconds:F0} s: {string.Join("; ", problems)}\nbaseline: {baseline}\nnow:      {now}\ngrowth:   {growth}");
        }

        return now;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (ChildProcess process in _processes)
        {
            await process.DisposeAsync();
        }

        foreach (TunnelSlot slot in _slots)
        {
            await slot.Proxy.DisposeAsync();
            await slot.Target.DisposeAsync();
        }

        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static List<string> Compare(ResourceSnapshot baseline, ResourceSnapshot now, LeakTolerance tolerance)
    {
        var problems = new List<string>();
        void Check(string who, ProcessResources before, ProcessResources after)
        {
            if (after.Fds < 0)
            {
                problems.Add($"{who} is not running");
                return;
            }

            if (after.Fds > before.Fds + tolerance.Fds)
            {
                problems.Add($"{who} holds {after.Fds} fds (baseline {before.Fds})");
            }

            if (after.Threads > before.Threads + tolerance.Threads)
            {
                problems.Add($"{who} runs {after.Threads} threads (baseline {before.Threads})");
            }
        }

        Check("ws-server", baseline.Server, now.Server);
        for (int i = 0; i < now.Agents.Count; i++)
        {
            Check($"ws-agent {i}", baseline.Agents[i], now.Agents[i]);
        }

        if (now.ServerTunnelSockets > 0)
        {
            problems.Add($"ws-server still holds {now.ServerTunnelSockets} tunnel connection(s)");
        }

        if (now.AgentTargetSockets > 0)
        {
            problems.Add($"the agents still hold {now.AgentTargetSockets} connection(s) to their targets");
        }

        if (now.TargetConnections > 0)
        {
            problems.Add($"the targets still have {now.TargetConnections} connection(s) open");
        }

        if (now.ServerSessionSockets > baseline.ServerSessionSockets)
        {
            problems.Add($"ws-server holds {now.ServerSessionSockets} agent connection(s) (baseline {baseline.ServerSessionSockets})");
        }

        if (now.AgentServerSockets > baseline.AgentServerSockets)
        {
            problems.Add($"the agents hold {now.AgentServerSockets} connection(s) to the server (baseline {baseline.AgentServerSockets})");
        }

        return problems;
    }

    private static string SessionPattern(TunnelSlot slot) => $@"Agent connected.*port {slot.TunnelPort}\b";

    private void WriteClients(int[] ports)
    {
        string json = JsonSerializer.Serialize(new
        {
            clients = new[] { new { name = "reliability", token = Token, ports = ports.Select(p => p.ToString()).ToArray() } },
        });
        File.WriteAllText(Path.Combine(DataDirectory, "clients.json"), json);
    }
}
