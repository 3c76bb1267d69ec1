using System.Security.Cryptography;
using System.Text.Json;
using ReverseTunnel.Bench.Infra;
using ReverseTunnel.Bench.Targets;
using ReverseTunnel.EndToEnd.Tests.Harness;

namespace ReverseTunnel.Bench.Paths;

/// <summary>
/// The real ws-server (Release build, TLS on a free loopback port, its own temp data directory and
/// clients.json) and one real ws-agent per target, pinned to the server's certificate.
/// </summary>
internal sealed class TunnelPath : IForwardingPath
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly string _dataDirectory;
    private readonly ChildProcess _server;
    private readonly Dictionary<TargetKind, (ChildProcess Agent, int TunnelPort)> _agents = [];

    private TunnelPath(string dataDirectory, ChildProcess server)
    {
        _dataDirectory = dataDirectory;
        _server = server;
        ServerSide = ProcessSet.Single("ws-server", server.Id);
    }

    public PathKind Kind => PathKind.Tunnel;

    public ProcessSet ServerSide { get; }

    /// <param name="targets">The targets, each of which gets its own ws-agent and tunnel port.</param>
    /// <param name="agentDialPort">Maps ws-server's port to the one the agents dial (a <see cref="DelayRelay"/>'s); none = the server's own.</param>
    public static async Task<TunnelPath> StartAsync(IReadOnlyDictionary<TargetKind, int> targets, Func<int, int>? agentDialPort = null)
    {
        string dataDirectory = Directory.CreateTempSubdirectory("tunnel-bench-server-").FullName;
        var clients = targets.Keys.ToDictionary(t => t, t => (
            Name: $"bench-{t.ToString().ToLowerInvariant()}",
            Token: Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant(),
            Port: FreePort.Next()));
        File.WriteAllText(Path.Combine(dataDirectory, "clients.json"), JsonSerializer.Serialize(new
        {
            clients = clients.Values.Select(c => new { name = c.Name, token = c.Token, ports = new[] { c.Port.ToString() } }).ToArray(),
        }));

        ChildProcess server = Cleanup.Start("ws-server", () => ChildProcess.Start("ws-server", ChildProcess.DllPath("ServerDll"),
            ["--Tunnel:ListenAddress=127.0.0.1", "--Tunnel:ListenPort=0", $"--Tunnel:DataDirectory={dataDirectory}", "--Tunnel:ShutdownTimeout=00:00:01"]), p => p.Id);
        var path = new TunnelPath(dataDirectory, server);
        try
        {
            int serverPort = int.Parse((await server.WaitForLineAsync(@"Listening on https://[^\s]*:(\d+)", StartTimeout)).Groups[1].Value);
            string fingerprint = (await server.WaitForLineAsync(@"SHA-256 fingerprint:? ([0-9A-Fa-f:]{64,95})", StartTimeout)).Groups[1].Value;
            int dialPort = agentDialPort?.Invoke(serverPort) ?? serverPort;
            foreach ((TargetKind target, var client) in clients)
            {
                ChildProcess agent = Cleanup.Start(client.Name, () => ChildProcess.Start($"ws-agent ({client.Name})", AgentProgram, [], new Dictionary<string, string?>
                {
                    ["TUNNEL_PORT"] = client.Port.ToString(),
                    ["CLIENT_SIDE_DOMAIN"] = "127.0.0.1",
                    ["CLIENT_SIDE_PORT"] = targets[target].ToString(),
                    ["SERVER_IP_DOMAIN"] = "127.0.0.1",
                    ["SERVER_PORT"] = dialPort.ToString(),
                    ["CLIENT_UUID"] = client.Token,
                    ["PINNED_CERT_SHA256"] = fingerprint,
                }), p => p.Id);
                path._agents[target] = (agent, client.Port);
                await server.WaitForLineAsync($@"Agent connected: client {client.Name} port {client.Port}\b", StartTimeout);
                await PortProbe.WaitUntilAcceptingAsync(client.Port, TimeSpan.FromSeconds(30), $"tunnel port for {target}",
                    () => $"ws-server:\n{server.Output}\n{agent.Name}:\n{agent.Output}", path.DeathNotice);
            }

            return path;
        }
        catch
        {
            await path.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The ws-agent to run: the Native AOT program bench/run.sh publishes (what the Dockerfile ships),
    /// named by TUNNEL_BENCH_AGENT; else the JIT build's ws-agent.dll.
    /// </summary>
    public static string AgentProgram =>
        Environment.GetEnvironmentVariable("TUNNEL_BENCH_AGENT") is { Length: > 0 } program ? program : ChildProcess.DllPath("AgentDll");

    public int PortFor(TargetKind target) => _agents[target].TunnelPort;

    public ProcessSet AgentSide(TargetKind target) => ProcessSet.Single("ws-agent", _agents[target].Agent.Id);

    public void EnsureAlive()
    {
        if (DeathNotice() is { } notice)
        {
            throw new InvalidOperationException($"tunnel: {notice}\nws-server output:\n{Tail(_server.Output)}\n" +
                string.Join('\n', _agents.Values.Select(a => $"{a.Agent.Name} output:\n{Tail(a.Agent.Output)}")));
        }
    }

    public async Task<string?> SaveDiagnosticsAsync(string directory)
    {
        Directory.CreateDirectory(directory);
        var excerpt = new System.Text.StringBuilder();
        var processes = new List<ChildProcess> { _server };
        processes.AddRange(_agents.Values.Select(a => a.Agent));
        foreach (ChildProcess process in processes)
        {
            string file = string.Concat(process.Name.Split(Path.GetInvalidFileNameChars()).Select(p => p.Replace(' ', '-')));
            File.WriteAllText(Path.Combine(directory, file + ".log"), process.Output);
            if (!process.Exited.IsCompleted)
            {
                string stacks = await StackDump.CaptureAsync(process.Id);
                File.WriteAllText(Path.Combine(directory, file + ".stacks.txt"), stacks);
                string ours = StackDump.OurThreads(stacks);
                if (ours.Length > 0)
                {
                    excerpt.Append($"{process.Name}: threads in tunnel code:\n{ours}\n");
                }
            }
        }

        return excerpt.Length > 0 ? excerpt.ToString() : null;
    }

    public async ValueTask DisposeAsync()
    {
        foreach ((ChildProcess agent, _) in _agents.Values)
        {
            Cleanup.Unregister(agent.Id);
            await agent.DisposeAsync();
        }

        Cleanup.Unregister(_server.Id);
        await _server.DisposeAsync();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private string? DeathNotice()
    {
        if (_server.Exited.IsCompleted)
        {
            return $"ws-server exited with code {_server.Exited.Result}";
        }

        foreach ((ChildProcess agent, _) in _agents.Values)
        {
            if (agent.Exited.IsCompleted)
            {
                return $"{agent.Name} exited with code {agent.Exited.Result}";
            }
        }

        return null;
    }

    private static string Tail(string output) => string.Join('\n', output.Split('\n').TakeLast(40));
}
