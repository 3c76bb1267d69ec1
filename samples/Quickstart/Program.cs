// Quickstart: a real ws-server on its embedded defaults (self-signed certificate and client
// registry created in a fresh data directory), a real ws-agent, and a sample internal service, all
// on loopback. It sends one request through the tunnel, prints what to try next and stops
// everything, or keeps running with --keep-running.
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ReverseTunnel.EndToEnd.Tests.Harness;

bool keepRunning = args.Contains("--keep-running");

// 1. The "internal service" a customer wants to expose (think Jira), on a loopback port.
WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
await using WebApplication service = builder.Build();
service.MapGet("/", () => "Hello from the sample internal service, reached through the tunnel.\n");
await service.StartAsync();
int servicePort = new Uri(service.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;

// 2. The platform's server: a fresh data directory holding one registered client.
string dataDirectory = Directory.CreateTempSubdirectory("ws-server-quickstart-").FullName;
string token = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();
int tunnelPort = FreePort.Next();
File.WriteAllText(Path.Combine(dataDirectory, "clients.json"), JsonSerializer.Serialize(new
{
    clients = new[] { new { name = "quickstart", token, ports = new[] { tunnelPort.ToString() } } },
}));

Console.WriteLine($"Starting ws-server (data directory {dataDirectory}) ...");
await using ChildProcess server = ChildProcess.Start("ws-server", ChildProcess.DllPath("ServerDll"),
    ["--Tunnel:ListenAddress=127.0.0.1", "--Tunnel:ListenPort=0", $"--Tunnel:DataDirectory={dataDirectory}"]);
int serverPort = int.Parse((await server.WaitForLineAsync(@"Listening on https://[^\s]*:(\d+)")).Groups[1].Value);
string fingerprint = (await server.WaitForLineAsync(@"SHA-256 fingerprint:? ([0-9A-Fa-f:]{64,95})")).Groups[1].Value;
Console.WriteLine($"  ws-server listens on https://127.0.0.1:{serverPort}; certificate SHA-256 {fingerprint}");

// 3. The customer's agent: the five documented variables, plus the server's certificate pin.
var agentEnvironment = new Dictionary<string, string?>
{
    ["TUNNEL_PORT"] = tunnelPort.ToString(),
    ["CLIENT_SIDE_DOMAIN"] = "127.0.0.1",
    ["CLIENT_SIDE_PORT"] = servicePort.ToString(),
    ["SERVER_IP_DOMAIN"] = "127.0.0.1",
    ["SERVER_PORT"] = serverPort.ToString(),
    ["CLIENT_UUID"] = token,
    ["PINNED_CERT_SHA256"] = fingerprint,
};
Console.WriteLine($"Starting ws-agent: TUNNEL_PORT={tunnelPort} -> 127.0.0.1:{servicePort} ...");
await using ChildProcess agent = ChildProcess.Start("ws-agent", ChildProcess.DllPath("AgentDll"), [], agentEnvironment);
await server.WaitForLineAsync($@"Agent connected.*port {tunnelPort}\b");

// 4. What the platform does: a plain connection to the tunnel port on the server's internal address.
using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
string url = $"http://127.0.0.1:{tunnelPort}/";
string body = await http.GetStringAsync(url);
Console.WriteLine($"GET {url} -> {body.TrimEnd()}");

Console.WriteLine();
Console.WriteLine("What to try next:");
Console.WriteLine("  - Keep everything running and use the tunnel yourself:  dotnet run --project samples/Quickstart -- --keep-running");
Console.WriteLine($"      then: curl -k https://127.0.0.1:{serverPort}/healthz   (the agent's connectivity check)");
Console.WriteLine($"            curl http://127.0.0.1:{tunnelPort}/             (a request through the tunnel)");
Console.WriteLine(keepRunning
    ? $"  - Add clients to {Path.Combine(dataDirectory, "clients.json")}; the server reloads it without a restart."
    : "  - With --keep-running, add clients to the server's clients.json; it reloads the file without a restart.");
Console.WriteLine("  - Run the server and agent for real: see README.md, 'Running for real'.");

if (keepRunning)
{
    Console.WriteLine("Running; press Ctrl-C to stop.");
    var stop = new TaskCompletionSource();
    Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.TrySetResult(); };
    await stop.Task;
}

Console.WriteLine($"Stopping: ws-agent exited with {await agent.StopAsync()}, ws-server exited with {await server.StopAsync()}.");
Directory.Delete(dataDirectory, recursive: true);
