using System.Net;
using System.Net.Sockets;
using System.Text;
using ReverseTunnel.Protocol.Framing;
using ReverseTunnel.Protocol.Multiplexing;
using ReverseTunnel.Server.Tests.Infrastructure;
using ReverseTunnel.Server.Tunnels;

namespace ReverseTunnel.Server.Tests.Tunnels;

public sealed class TunnelListenerTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Connection_ToTunnelPort_IsBridgedToAgent()
    {
        int port = FreePort.Next();
        await using FakeAgent agent = await FakeAgent.ConnectAsync(_server, TestClients.AlphaToken, port);
        byte[] message = Encoding.ASCII.GetBytes("GET / HTTP/1.0\r\n\r\n");

        byte[] echoed = await TunnelClient.RoundTripAsync(IPAddress.Loopback, port, message);

        Assert.Equal(message, echoed);
    }

    [Fact]
    public async Task Listener_DefaultBindAddress_BindsLoopbackOnly()
    {
        int port = FreePort.Next();
        await using FakeAgent agent = await FakeAgent.ConnectAsync(_server, TestClients.AlphaToken, port);

        TunnelListener listener = Assert.IsType<TunnelListener>(_server.Tunnels.GetListener(port));
        Assert.Equal(IPAddress.Loopback, listener.Address);

        // 127.0.0.2 is this machine too, but not the bound address: the port must not answer there.
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        SocketException refused = await Assert.ThrowsAsync<SocketException>(
            () => socket.ConnectAsync(new IPEndPoint(IPAddress.Parse("127.0.0.2"), port)).WaitAsync(TestTimeouts.Default));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }

    [Fact]
    public async Task Reconnect_SameToken_TakesOverPortAtOnce()
    {
        int port = FreePort.Next();
        FakeAgent first = await FakeAgent.ConnectAsync(_server, TestClients.AlphaToken, port);
        TunnelListener listener = _server.Tunnels.GetListener(port)!;

        await using FakeAgent second = await FakeAgent.ConnectAsync(_server, TestClients.AlphaToken, port);
        SessionEnd firstEnd = await first.Run.WaitAsync(TestTimeouts.Default);
        await first.DisposeAsync();

        Assert.Equal(ErrorCode.Replaced, firstEnd.Code);
        Assert.Same(listener, _server.Tunnels.GetListener(port));
        Task<byte[]> roundTrip = TunnelClient.RoundTripAsync(IPAddress.Loopback, port, [1, 2, 3]);
        MuxStream opened = await second.NextStreamAsync();
        Assert.Equal([1, 2, 3], await roundTrip);
        Assert.True(opened.Id % 2 == 1, "server-opened streams have odd ids");
    }

    [Fact]
    public async Task SessionEnd_AgentGone_PortRefusedPromptly()
    {
        int port = FreePort.Next();
        FakeAgent agent = await FakeAgent.ConnectAsync(_server, TestClients.AlphaToken, port);
        Assert.Equal([7], await TunnelClient.RoundTripAsync(IPAddress.Loopback, port, [7]));

        await agent.Session.CloseAsync(ErrorCode.NoError, "agent stopping", TimeSpan.Zero).WaitAsync(TestTimeouts.Default);
        await agent.DisposeAsync();

        await TunnelClient.WaitUntilRefusedAsync(IPAddress.Loopback, port);
        Assert.Null(_server.Tunnels.GetListener(port));
    }

    [Fact]
    public async Task SessionEnd_AgentGone_PortCanBeClaimedByAnotherClient()
    {
        int port = FreePort.Next();
        FakeAgent alpha = await FakeAgent.ConnectAsync(_server, TestClients.AlphaToken, port);
        alpha.Session.Abort(ErrorCode.NoError, "gone");
        await alpha.Run.WaitAsync(TestTimeouts.Default);
        await alpha.DisposeAsync();
        await TunnelClient.WaitUntilRefusedAsync(IPAddress.Loopback, port);

        await using FakeAgent beta = await FakeAgent.ConnectAsync(_server, TestClients.BetaToken, port);

        Assert.Equal([9], await TunnelClient.RoundTripAsync(IPAddress.Loopback, port, [9]));
    }

    [Fact]
    public async Task Connection_AgentStreamLimitReached_IsResetNotLeftHanging()
    {
        int port = FreePort.Next();
        await using FakeAgent agent = await FakeAgent.ConnectAsync(_server, TestClients.AlphaToken, port, new MuxSessionOptions { MaxConcurrentStreams = 1 });
        using var held = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await held.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port)).WaitAsync(TestTimeouts.Default);
        await agent.NextStreamAsync();

        using var refused = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        SocketException reset = await Assert.ThrowsAsync<SocketException>(async () =>
        {
            // The RST may even be seen while the connect completes; either way it must come, never a hang.
            await refused.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port)).WaitAsync(TestTimeouts.Default);
            await refused.ReceiveAsync(new byte[1], SocketFlags.None).WaitAsync(TestTimeouts.Default);
        });

        Assert.Equal(SocketError.ConnectionReset, reset.SocketErrorCode);
        Assert.Contains(_server.Logs.Entries, e => e.EventId == 1032);
    }

    [Fact]
    public async Task Shutdown_OpenSession_AgentGetsGoAwayNoError()
    {
        int port = FreePort.Next();
        FakeAgent agent = await FakeAgent.ConnectAsync(_server, TestClients.AlphaToken, port);

        await _server.App.StopAsync().WaitAsync(TestTimeouts.Default);
        SessionEnd end = await agent.Run.WaitAsync(TestTimeouts.Default);
        await agent.DisposeAsync();

        Assert.Equal(SessionEndReason.PeerGoAway, end.Reason);
        Assert.Equal(ErrorCode.NoError, end.Code);
        Assert.Contains("server shutting down", end.Message, StringComparison.Ordinal);
    }
}
