using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ReverseTunnel.Server.Certificates;
using ReverseTunnel.Server.Clients;
using ReverseTunnel.Server.Hosting;
using ReverseTunnel.Server.Tunnels;

namespace ReverseTunnel.Server.Tests.Infrastructure;

/// <summary>
/// The real ws-server in-process: Kestrel on 127.0.0.1 with a free port, real TLS with the generated
/// certificate, a temporary data directory.
/// </summary>
internal sealed class TestServer : IAsyncDisposable
{
    private readonly bool _ownsDirectory;

    private TestServer(WebApplication app, string dataDirectory, bool ownsDirectory, CapturingLoggerProvider logs)
    {
        App = app;
        DataDirectory = dataDirectory;
        _ownsDirectory = ownsDirectory;
        Logs = logs;
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        Port = BindingAddress.Parse(address).Port;
        Fingerprint = app.Services.GetRequiredService<ServerCertificateProvider>().Fingerprint;
    }

    public WebApplication App { get; }

    public string DataDirectory { get; }

    public CapturingLoggerProvider Logs { get; }

    public int Port { get; }

    public string Fingerprint { get; }

    public string ClientsFile => Path.Combine(DataDirectory, "clients.json");

    public ClientRegistry Registry => App.Services.GetRequiredService<ClientRegistry>();

    public TunnelManager Tunnels => App.Services.GetRequiredService<TunnelManager>();

    public Uri TunnelUri => new($"wss://127.0.0.1:{Port}/tunnel");

    public Uri BaseUri => new($"https://127.0.0.1:{Port}/");

    /// <summary>Starts a server. Without <paramref name="dataDirectory"/>, a fresh temporary one is made and deleted on dispose.</summary>
    public static async Task<TestServer> StartAsync(string? clientsJson = null, string? dataDirectory = null, params string[] extraArgs)
    {
        bool owns = dataDirectory is null;
        dataDirectory ??= Directory.CreateTempSubdirectory("ws-server-test-").FullName;
        if (!File.Exists(Path.Combine(dataDirectory, "clients.json")) || clientsJson is not null)
        {
            File.WriteAllText(Path.Combine(dataDirectory, "clients.json"), clientsJson ?? TestClients.Default());
        }

        string[] args =
        [
            "--Tunnel:ListenAddress=127.0.0.1",
            "--Tunnel:ListenPort=0",
            $"--Tunnel:DataDirectory={dataDirectory}",
            "--Tunnel:ShutdownTimeout=00:00:05",
            .. extraArgs,
        ];

        var logs = new CapturingLoggerProvider();
        WebApplication app = ServerApplication.Build(args, builder =>
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddProvider(logs);
            builder.Logging.AddFilter<CapturingLoggerProvider>(null, LogLevel.Debug);
        });
        await app.StartAsync().WaitAsync(TestTimeouts.Default);
        return new TestServer(app, dataDirectory, owns, logs);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await App.StopAsync().WaitAsync(TestTimeouts.Default);
        }
        finally
        {
            await App.DisposeAsync();
            if (_ownsDirectory)
            {
                Directory.Delete(DataDirectory, recursive: true);
            }
        }
    }

    /// <summary>A TLS validation callback that accepts exactly this server's certificate.</summary>
    public System.Net.Security.RemoteCertificateValidationCallback PinnedCertificate => (_, certificate, _, _) =>
        certificate is not null && FingerprintOf(certificate.GetRawCertData()) == Fingerprint;

    private static string FingerprintOf(byte[] der) =>
        string.Join(':', Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(der)).Chunk(2).Select(c => new string(c)));
}
