using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using ReverseTunnel.Server.Clients;
using ReverseTunnel.Server.Configuration;
using ReverseTunnel.Server.Tests.Infrastructure;

namespace ReverseTunnel.Server.Tests.Clients;

/// <summary>Changes the file-system watcher does not report (Kubernetes ConfigMap/Secret updates) are found by polling.</summary>
public sealed class ClientsFilePollingTests : IDisposable
{
    private const string GammaToken = "9a9a9a9a-gamma-token-0004";

    private readonly string _directory = Directory.CreateTempSubdirectory("ws-server-poll-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Poll_FileChangedWithoutWatcher_Reloads()
    {
        File.WriteAllText(Path.Combine(_directory, "clients.json"), TestClients.Json(("alpha", TestClients.AlphaToken, false, ["5000"])));
        var time = new FakeTimeProvider();
        using var registry = new ClientRegistry(
            Options.Create(new TunnelOptions { DataDirectory = _directory }), NullLogger<ClientRegistry>.Instance, time) { UseWatcher = false };
        registry.Load();
        var outcomes = new List<bool>();
        registry.Reloaded += outcomes.Add;

        File.WriteAllText(registry.FilePath, TestClients.Json(("gamma", GammaToken, true, ["5000"])));
        time.Advance(TimeSpan.FromSeconds(4));
        Assert.Empty(outcomes);
        time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal([true], outcomes);
        Assert.NotNull(registry.Current.FindByToken(GammaToken));
        Assert.Null(registry.Current.FindByToken(TestClients.AlphaToken));

        // Unchanged content: no further reload.
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal([true], outcomes);
    }

    [Fact]
    public void Poll_IntervalZero_NeverReloads()
    {
        File.WriteAllText(Path.Combine(_directory, "clients.json"), TestClients.Json(("alpha", TestClients.AlphaToken, false, ["5000"])));
        var time = new FakeTimeProvider();
        using var registry = new ClientRegistry(
            Options.Create(new TunnelOptions { DataDirectory = _directory, ClientsFilePollInterval = TimeSpan.Zero }),
            NullLogger<ClientRegistry>.Instance,
            time) { UseWatcher = false };
        registry.Load();
        var outcomes = new List<bool>();
        registry.Reloaded += outcomes.Add;

        File.WriteAllText(registry.FilePath, TestClients.Json(("gamma", GammaToken, true, ["5000"])));
        time.Advance(TimeSpan.FromMinutes(1));

        Assert.Empty(outcomes);
    }

    [Fact]
    public void Read_NoPollSetting_DefaultsToFiveSeconds()
    {
        TunnelOptions options = TunnelConfigurationReader.Read(new ConfigurationBuilder().Build());

        Assert.Equal(TimeSpan.FromSeconds(5), options.ClientsFilePollInterval);
    }

    [Fact]
    public async Task Poll_KubernetesSymlinkSwap_ReloadsRunningServer()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // rename(2) and the kubelet's layout are Unix-only.
        }

        // The kubelet's layout: clients.json -> ..data/clients.json, ..data -> ..<timestamp>/; an
        // update writes a new folder and renames a new ..data link over the old one.
        string mount = Directory.CreateDirectory(Path.Combine(_directory, "mount")).FullName;
        string first = Directory.CreateDirectory(Path.Combine(mount, "..2024_01_01_00_00_00.1")).FullName;
        File.WriteAllText(Path.Combine(first, "clients.json"), TestClients.Json(("alpha", TestClients.AlphaToken, false, ["1024-65535"])));
        File.CreateSymbolicLink(Path.Combine(mount, "..data"), Path.GetFileName(first));
        File.CreateSymbolicLink(Path.Combine(mount, "clients.json"), Path.Combine("..data", "clients.json"));

        await using TestServer server = await TestServer.StartAsync(
            null, null, $"--Tunnel:ClientsFile={Path.Combine(mount, "clients.json")}", "--Tunnel:ClientsFilePollInterval=00:00:00.100");
        int port = FreePort.Next();
        Assert.Equal(HttpStatusCode.Unauthorized, (await HandshakeClient.SendAsync(server, GammaToken, port)).Status);

        var reloaded = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Registry.Reloaded += applied => reloaded.TrySetResult(applied);
        string second = Directory.CreateDirectory(Path.Combine(mount, "..2024_01_02_00_00_00.2")).FullName;
        File.WriteAllText(Path.Combine(second, "clients.json"), TestClients.Json(("gamma", GammaToken, true, ["1024-65535"])));
        File.CreateSymbolicLink(Path.Combine(mount, "..data_tmp"), Path.GetFileName(second));
        PosixRename.Replace(Path.Combine(mount, "..data_tmp"), Path.Combine(mount, "..data"));

        Assert.True(await reloaded.Task.WaitAsync(TestTimeouts.Default));
        await using FakeAgent gamma = await FakeAgent.ConnectAsync(server, GammaToken, port);
        Assert.Equal([5], await TunnelClient.RoundTripAsync(IPAddress.Loopback, port, [5]));
    }
}
