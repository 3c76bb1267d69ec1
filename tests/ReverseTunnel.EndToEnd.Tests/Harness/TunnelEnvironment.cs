using System.Text.Json;
using System.Text.RegularExpressions;

namespace ReverseTunnel.EndToEnd.Tests.Harness;

/// <summary>
/// One real ws-server process with its own data directory and client registry, and the agents a
/// test starts against it. Disposing kills everything and deletes the directory.
/// </summary>
internal sealed class TunnelEnvironment : IAsyncDisposable
{
    private readonly List<ChildProcess> _agents = [];
    private readonly List<object> _clients = [];

    private TunnelEnvironment(string dataDirectory)
    {
        DataDirectory = dataDirectory;
    }

    public string DataDirectory { get; }

    public ChildProcess Server { get; private set; } = null!;

    public int ServerPort { get; private set; }

    public string Fingerprint { get; private set; } = "";

    public string ClientsFile => Path.Combine(DataDirectory, "clients.json");

    /// <summary>Creates a data directory with the given clients and starts the server on a free port.</summary>
    public static Task<TunnelEnvironment> StartAsync(params (string Name, string Token, int[] Ports)[] clients) =>
        StartAsync(serverEnvironment: null, clients);

    /// <summary>As <see cref="StartAsync((string, string, int[])[])"/>, with variables for the server process.</summary>
    public static async Task<TunnelEnvironment> StartAsync(IDictionary<string, string?>? serverEnvironment, params (string Name, string Token, int[] Ports)[] clients)
    {
        var environment = new TunnelEnvironment(Directory.CreateTempSubdirectory("rt-e2e-").FullName);
        foreach ((string name, string token, int[] ports) in clients)
        {
            environment.AddClient(name, token, ports, write: false);
        }

        environment.WriteClients();
        await environment.StartServerAsync(port: 0, serverEnvironment);
        return environment;
    }

    /// <summary>Starts (or restarts) ws-server on <paramref name="port"/>; 0 picks a free one.</summary>
    public async Task StartServerAsync(int port, IDictionary<string, string?>? environment = null)
    {
        Server = ChildProcess.Start("ws-server", ChildProcess.DllPath("ServerDll"),
        [
            "--Tunnel:ListenAddress=127.0.0.1",
            $"--Tunnel:ListenPort={port}",
            $"--Tunnel:DataDirectory={DataDirectory}",
            "--Tunnel:ShutdownTimeout=00:00:05",
        ], environment);
        Match listening = await Server.WaitForLineAsync(@"Listening on https://[^\s]*:(\d+)");
        ServerPort = int.Parse(listening.Groups[1].Value);
        Match fingerprint = await Server.WaitForLineAsync(@"SHA-256 fingerprint:? ([0-9A-Fa-f:]{64,95})");
        Fingerprint = fingerprint.Groups[1].Value;
    }

    public void AddClient(string name, string token, int[] ports, bool write = true)
    {
        _clients.Add(new { name, token, ports = ports.Select(p => p.ToString()).ToArray() });
        if (write)
        {
            WriteClients();
        }
    }

    /// <summary>Starts ws-agent with the five documented variables, the server's pinned certificate and any extras.</summary>
    public ChildProcess StartAgent(string token, int tunnelPort, int targetPort, IDictionary<string, string?>? extra = null, string targetHost = "127.0.0.1")
    {
        var environment = new Dictionary<string, string?>
        {
            ["TUNNEL_PORT"] = tunnelPort.ToString(),
            ["CLIENT_SIDE_DOMAIN"] = targetHost,
            ["CLIENT_SIDE_PORT"] = targetPort.ToString(),
            ["SERVER_IP_DOMAIN"] = "127.0.0.1",
            ["SERVER_PORT"] = ServerPort.ToString(),
            ["CLIENT_UUID"] = token,
            ["PINNED_CERT_SHA256"] = Fingerprint,
            ["LOG_LEVEL"] = "Debug",
        };
        foreach ((string key, string? value) in extra ?? new Dictionary<string, string?>())
        {
            environment[key] = value;
        }

        ChildProcess agent = ChildProcess.Start("ws-agent", ChildProcess.DllPath("AgentDll"), [], environment);
        _agents.Add(agent);
        return agent;
    }

    /// <summary>Starts an agent and waits until the server says its port is served.</summary>
    public async Task<ChildProcess> StartConnectedAgentAsync(string token, int tunnelPort, int targetPort, IDictionary<string, string?>? extra = null)
    {
        int before = Server.CountLines($@"Agent connected.*port {tunnelPort}\b");
        ChildProcess agent = StartAgent(token, tunnelPort, targetPort, extra);
        await WaitForAgentConnectedAsync(tunnelPort, before + 1);
        return agent;
    }

    /// <summary>Waits until the server has logged <paramref name="count"/> connections for the port.</summary>
    public Task WaitForAgentConnectedAsync(int tunnelPort, int count) =>
        Server.WaitForLineAsync($@"Agent connected.*port {tunnelPort}\b", count);

    public async ValueTask DisposeAsync()
    {
        foreach (ChildProcess agent in _agents)
        {
            await agent.DisposeAsync();
        }

        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private void WriteClients()
    {
        Directory.CreateDirectory(DataDirectory);
        string json = JsonSerializer.Serialize(new { clients = _clients }, new JsonSerializerOptions { WriteIndented = true });
        string temp = ClientsFile + ".tmp";
        File.WriteAllText(temp, json);
        File.Move(temp, ClientsFile, overwrite: true);
    }
}
