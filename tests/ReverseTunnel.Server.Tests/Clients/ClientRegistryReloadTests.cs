using System.Net;
using ReverseTunnel.Server.Tests.Infrastructure;

namespace ReverseTunnel.Server.Tests.Clients;

public sealed class ClientRegistryReloadTests
{
    private const string GammaToken = "9a9a9a9a-gamma-token-0004";

    [Fact]
    public async Task Reload_TokenAddedWhileRunning_BecomesValid()
    {
        await using TestServer server = await TestServer.StartAsync();
        int port = FreePort.Next();
        Assert.Equal(HttpStatusCode.Unauthorized, (await HandshakeClient.SendAsync(server, GammaToken, port)).Status);

        Task<bool> reloaded = NextReloadAsync(server, applied: true);
        await File.WriteAllTextAsync(server.ClientsFile, TestClients.Json(
            ("alpha", TestClients.AlphaToken, false, ["1024-65535"]),
            ("gamma", GammaToken, true, ["1024-65535"])));

        Assert.True(await reloaded.WaitAsync(TestTimeouts.Default));
        await using FakeAgent gamma = await FakeAgent.ConnectAsync(server, GammaToken, port);
        Assert.Equal([5], await TunnelClient.RoundTripAsync(IPAddress.Loopback, port, [5]));
    }

    [Fact]
    public async Task Reload_BrokenFile_KeepsLastGoodRegistryAndLogsProblem()
    {
        await using TestServer server = await TestServer.StartAsync();

        Task<bool> reloaded = NextReloadAsync(server, applied: false);
        await File.WriteAllTextAsync(server.ClientsFile, "{\"clients\":[{\"name\":\"x\",\"token\":\"leaked-secret\"");

        Assert.False(await reloaded.WaitAsync(TestTimeouts.Default));
        Assert.Equal(3, server.Registry.Current.Clients.Count);
        await using FakeAgent alpha = await FakeAgent.ConnectAsync(server, TestClients.AlphaToken, FreePort.Next());
        CapturedLog error = server.Logs.Entries.First(e => e.EventId == 1012);
        Assert.Contains("not valid clients JSON", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("leaked-secret", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reload_TokenRemoved_SessionClosedAndPortFreed()
    {
        await using TestServer server = await TestServer.StartAsync();
        int port = FreePort.Next();
        FakeAgent beta = await FakeAgent.ConnectAsync(server, TestClients.BetaToken, port);

        Task<bool> reloaded = NextReloadAsync(server, applied: true);
        await File.WriteAllTextAsync(server.ClientsFile, TestClients.Json(("alpha", TestClients.AlphaToken, false, ["1024-65535"])));

        Assert.True(await reloaded.WaitAsync(TestTimeouts.Default));
        await beta.Run.WaitAsync(TestTimeouts.Default);
        await beta.DisposeAsync();
        await TunnelClient.WaitUntilRefusedAsync(IPAddress.Loopback, port);
        Assert.Equal(HttpStatusCode.Unauthorized, (await HandshakeClient.SendAsync(server, TestClients.BetaToken, port)).Status);
    }

    /// <summary>Completes at the first reload with the expected outcome (an editor's save may trigger several).</summary>
    private static Task<bool> NextReloadAsync(TestServer server, bool applied)
    {
        var reloaded = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Handler(bool outcome)
        {
            if (outcome == applied)
            {
                server.Registry.Reloaded -= Handler;
                reloaded.TrySetResult(outcome);
            }
        }

        server.Registry.Reloaded += Handler;
        return reloaded.Task;
    }
}
