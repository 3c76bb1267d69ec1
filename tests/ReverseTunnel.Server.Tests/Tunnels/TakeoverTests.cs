using System.Net;
using System.Net.Sockets;
using ReverseTunnel.Protocol.Framing;
using ReverseTunnel.Protocol.Multiplexing;
using ReverseTunnel.Server.Clients;
using ReverseTunnel.Server.Tests.Infrastructure;
using ReverseTunnel.Server.Tunnels;

namespace ReverseTunnel.Server.Tests.Tunnels;

/// <summary>A reconnect of the same client: accept the new session first, then retire the old one gracefully.</summary>
public sealed class TakeoverTests : IAsyncLifetime
{
    private TestServer _server = null!;

    // A drain long enough for a loaded CI machine: the old session must still be draining when checked.
    public async Task InitializeAsync() => _server = await TestServer.StartAsync(null, null, "--Tunnel:ShutdownTimeout=00:00:30");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Claim_SameClientUpgradeFails_OldSessionKeepsServingPort()
    {
        int port = FreePort.Next();
        await using FakeAgent agent = await FakeAgent.ConnectAsync(_server, TestClients.AlphaToken, port);
        Assert.Equal([1], await TunnelClient.RoundTripAsync(IPAddress.Loopback, port, [1]));
        TunnelListener listener = _server.Tunnels.GetListener(port)!;
        ClientRegistration alpha = _server.Registry.Current.FindByToken(TestClients.AlphaToken)!;

        // What the endpoint does for a reconnect whose WebSocket upgrade then fails: claim, then release.
        ClaimResult claim = _server.Tunnels.TryClaim(port, alpha, "jira.internal:8080");
        Assert.Equal(ClaimStatus.Claimed, claim.Status);
        Assert.Equal([2], await TunnelClient.RoundTripAsync(IPAddress.Loopback, port, [2]));
        _server.Tunnels.Release(claim.Lease!);

        Assert.Same(listener, _server.Tunnels.GetListener(port));
        Assert.Equal([3], await TunnelClient.RoundTripAsync(IPAddress.Loopback, port, [3]));
        Assert.False(agent.Run.IsCompleted, "the healthy session must not be touched by a failed takeover");
    }

    [Fact]
    public async Task Reconnect_SameClient_InFlightConnectionFinishesOnOldSession()
    {
        int port = FreePort.Next();
        FakeAgent first = await FakeAgent.ConnectAsync(_server, TestClients.AlphaToken, port);
        using var inFlight = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await inFlight.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port)).WaitAsync(TestTimeouts.Default);
        await first.NextStreamAsync();
        Assert.Equal([1], await SendAndReceiveAsync(inFlight, [1]));

        Task<CapturedLog> replaced = _server.Logs.WaitForAsync(e => e.EventId == 1023);
        await using FakeAgent second = await FakeAgent.ConnectAsync(_server, TestClients.AlphaToken, port);
        await replaced;

        // The old session drains: its open connection still works, new connections go to the new session.
        Assert.Equal([2], await SendAndReceiveAsync(inFlight, [2]));
        Assert.False(first.Run.IsCompleted, "the old session must drain, not be aborted");
        Task<byte[]> roundTrip = TunnelClient.RoundTripAsync(IPAddress.Loopback, port, [3]);
        await second.NextStreamAsync();
        Assert.Equal([3], await roundTrip);

        inFlight.Shutdown(SocketShutdown.Send);
        Assert.Equal(0, await inFlight.ReceiveAsync(new byte[1], SocketFlags.None).WaitAsync(TestTimeouts.Default));
        SessionEnd firstEnd = await first.Run.WaitAsync(TestTimeouts.Default);
        await first.DisposeAsync();

        Assert.Equal(SessionEndReason.PeerGoAway, firstEnd.Reason);
        Assert.Equal(ErrorCode.Replaced, firstEnd.Code);
        Assert.False(second.Run.IsCompleted);
        Assert.Equal([4], await TunnelClient.RoundTripAsync(IPAddress.Loopback, port, [4]));
    }

    [Fact]
    public async Task Handshake_SameTokenOtherTarget_Returns409NamingBothTargets()
    {
        int port = FreePort.Next();
        await using FakeAgent jira = await FakeAgent.ConnectAsync(_server, TestClients.AlphaToken, port, target: "jira.internal:8080");

        HandshakeResponse response = await HandshakeClient.SendAsync(_server, TestClients.AlphaToken, port, target: "gitlab.internal:443");

        Assert.Equal(HttpStatusCode.Conflict, response.Status);
        Assert.Equal("port_in_use", response.Code);
        Assert.Equal(
            $"Port {port} already serves jira.internal:8080 for this client; this agent asks for gitlab.internal:443. Each TUNNEL_PORT serves one service: choose another TUNNEL_PORT for this service.",
            response.Detail);
        Assert.False(jira.Run.IsCompleted, "the serving agent must not be replaced");
        Assert.Equal([5], await TunnelClient.RoundTripAsync(IPAddress.Loopback, port, [5]));
    }

    [Fact]
    public async Task Reconnect_SameTokenSameTargetOtherCase_TakesOver()
    {
        int port = FreePort.Next();
        FakeAgent first = await FakeAgent.ConnectAsync(_server, TestClients.AlphaToken, port, target: "jira.internal:8080");

        await using FakeAgent second = await FakeAgent.ConnectAsync(_server, TestClients.AlphaToken, port, target: "JIRA.Internal:8080");
        SessionEnd firstEnd = await first.Run.WaitAsync(TestTimeouts.Default);
        await first.DisposeAsync();

        Assert.Equal(ErrorCode.Replaced, firstEnd.Code);
        Task<byte[]> roundTrip = TunnelClient.RoundTripAsync(IPAddress.Loopback, port, [6]);
        await second.NextStreamAsync();
        Assert.Equal([6], await roundTrip);
    }

    [Fact]
    public async Task Claim_SameTokenOtherTargetNoLiveSession_TakesOver()
    {
        int port = FreePort.Next();
        ClientRegistration alpha = _server.Registry.Current.FindByToken(TestClients.AlphaToken)!;

        // A claim whose session never came (an agent stuck mid-upgrade) serves nothing: any target may take over.
        ClaimResult stale = _server.Tunnels.TryClaim(port, alpha, "jira.internal:8080");
        Assert.Equal(ClaimStatus.Claimed, stale.Status);
        await using FakeAgent gitlab = await FakeAgent.ConnectAsync(_server, TestClients.AlphaToken, port, target: "gitlab.internal:443");
        Task<byte[]> roundTrip = TunnelClient.RoundTripAsync(IPAddress.Loopback, port, [7]);
        await gitlab.NextStreamAsync();
        Assert.Equal([7], await roundTrip);

        _server.Tunnels.Release(stale.Lease!);
        Assert.Equal([8], await TunnelClient.RoundTripAsync(IPAddress.Loopback, port, [8]));
        Assert.False(gitlab.Run.IsCompleted);
    }

    private static async Task<byte[]> SendAndReceiveAsync(Socket socket, byte[] message)
    {
        await socket.SendAsync(message, SocketFlags.None).WaitAsync(TestTimeouts.Default);
        byte[] buffer = new byte[message.Length];
        int read = 0;
        while (read < buffer.Length)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None).AsTask().WaitAsync(TestTimeouts.Default);
            Assert.NotEqual(0, n);
            read += n;
        }

        return buffer;
    }
}
