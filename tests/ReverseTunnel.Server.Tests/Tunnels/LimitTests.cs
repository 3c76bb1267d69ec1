using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using ReverseTunnel.Protocol.Framing;
using ReverseTunnel.Protocol.Multiplexing;
using ReverseTunnel.Server.Tests.Infrastructure;

namespace ReverseTunnel.Server.Tests.Tunnels;

/// <summary>
/// Each limit gives a specific error at the edge that hit it, a log line and a metric, and the
/// other clients go on.
/// </summary>
public sealed class LimitTests
{
    [Fact]
    public async Task Handshake_MaxSessionsReached_Returns503TooManySessionsAndFirstAgentKeepsWorking()
    {
        await using TestServer server = await TestServer.StartAsync(null, null, "--Tunnel:MaxSessions=1");
        int port = FreePort.Next();
        await using FakeAgent first = await FakeAgent.ConnectAsync(server, TestClients.AlphaToken, port);

        HandshakeResponse refused = await HandshakeClient.SendAsync(server, TestClients.BetaToken, FreePort.Next());

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.Status);
        Assert.Equal("too_many_sessions", refused.Code);
        Assert.Contains("Tunnel:MaxSessions", refused.Detail, StringComparison.Ordinal);
        await server.Logs.WaitForAsync(e => e.EventId == 1022 && e.Message.Contains("too_many_sessions", StringComparison.Ordinal));
        Assert.Equal("hello", Encoding.ASCII.GetString(await TunnelClient.RoundTripAsync(IPAddress.Loopback, port, "hello"u8.ToArray())));
    }

    [Fact]
    public async Task Handshake_MaxSessionsPerClientReached_Returns429AndOtherClientConnects()
    {
        await using TestServer server = await TestServer.StartAsync(null, null, "--Tunnel:MaxSessionsPerClient=1");
        using var refusals = new MetricCapture(server, "tunnel.auth.failures", "reason");
        int port = FreePort.Next();
        FakeAgent first = await FakeAgent.ConnectAsync(server, TestClients.AlphaToken, port);

        HandshakeResponse refused = await HandshakeClient.SendAsync(server, TestClients.AlphaToken, FreePort.Next());
        await using FakeAgent other = await FakeAgent.ConnectAsync(server, TestClients.BetaToken, FreePort.Next());

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.Status);
        Assert.Equal("too_many_client_sessions", refused.Code);
        Assert.Equal(1, refusals["too_many_client_sessions"]);
        Assert.Equal("hello", Encoding.ASCII.GetString(await TunnelClient.RoundTripAsync(IPAddress.Loopback, port, "hello"u8.ToArray())));

        // The slot comes back when the session ends.
        await first.DisposeAsync();
        await server.Logs.WaitForAsync(e => e.EventId == 1021);
        await using FakeAgent again = await FakeAgent.ConnectAsync(server, TestClients.AlphaToken, FreePort.Next());
    }

    [Fact]
    public async Task Connection_MaxStreamsPerSessionReached_ResetCountedAndOthersKeepWorking()
    {
        await using TestServer server = await TestServer.StartAsync(null, null, "--Tunnel:MaxStreamsPerSession=2");
        using var refused = new MetricCapture(server, "tunnel.streams.refused", "reason");
        int port = FreePort.Next();
        int otherPort = FreePort.Next();
        await using FakeAgent agent = await FakeAgent.ConnectAsync(server, TestClients.AlphaToken, port);
        await using FakeAgent other = await FakeAgent.ConnectAsync(server, TestClients.BetaToken, otherPort);
        using Socket held1 = await ConnectAsync(port);
        using Socket held2 = await ConnectAsync(port);
        await agent.NextStreamAsync();
        await agent.NextStreamAsync();

        for (int i = 0; i < 3; i++)
        {
            using var extra = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            SocketException reset = await Assert.ThrowsAsync<SocketException>(async () =>
            {
                // The RST may already be seen while the connect completes; either way it comes, never a hang.
                await extra.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port)).WaitAsync(TestTimeouts.Default);
                await extra.ReceiveAsync(new byte[1], SocketFlags.None).WaitAsync(TestTimeouts.Default);
            });
            Assert.Equal(SocketError.ConnectionReset, reset.SocketErrorCode);
        }

        Assert.Equal(3, refused["stream_limit"]);
        CapturedLog warning = Assert.Single(server.Logs.Entries, e => e.EventId == 1036);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Equal(3, server.Logs.Entries.Count(e => e.EventId == 1032 && e.Level == LogLevel.Debug));

        // The held connections still work, and so does the other client's tunnel.
        await held1.SendAsync("ok"u8.ToArray(), SocketFlags.None);
        byte[] echo = new byte[2];
        Assert.Equal(2, await held1.ReceiveAsync(echo, SocketFlags.None).WaitAsync(TestTimeouts.Default));
        Assert.Equal("hello", Encoding.ASCII.GetString(await TunnelClient.RoundTripAsync(IPAddress.Loopback, otherPort, "hello"u8.ToArray())));
    }

    [Fact]
    public async Task Connection_IdleLongerThanIdleStreamTimeout_IsResetWithTimeout()
    {
        await using TestServer server = await TestServer.StartAsync(null, null, "--Tunnel:IdleStreamTimeout=00:00:01");
        int port = FreePort.Next();
        await using FakeAgent agent = await FakeAgent.ConnectAsync(server, TestClients.AlphaToken, port);
        using Socket connection = await ConnectAsync(port);
        MuxStream stream = await agent.NextStreamAsync();
        await connection.SendAsync("ping"u8.ToArray(), SocketFlags.None);
        byte[] echo = new byte[4];
        Assert.Equal(4, await connection.ReceiveAsync(echo, SocketFlags.None).WaitAsync(TestTimeouts.Default));
        var clock = System.Diagnostics.Stopwatch.StartNew();

        SocketException reset = await Assert.ThrowsAsync<SocketException>(async () =>
            await connection.ReceiveAsync(new byte[1], SocketFlags.None).WaitAsync(TestTimeouts.Default));
        await stream.Completion.WaitAsync(TestTimeouts.Default);

        Assert.Equal(SocketError.ConnectionReset, reset.SocketErrorCode);
        Assert.Equal(ErrorCode.Timeout, stream.ResetReason?.Code);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(10));
        CapturedLog ended = await server.Logs.WaitForAsync(e => e.EventId == 1034);
        Assert.Contains("IdleTimeout", ended.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connection_BusyLongerThanIdleStreamTimeout_IsNotReset()
    {
        await using TestServer server = await TestServer.StartAsync(null, null, "--Tunnel:IdleStreamTimeout=00:00:01");
        int port = FreePort.Next();
        await using FakeAgent agent = await FakeAgent.ConnectAsync(server, TestClients.AlphaToken, port);
        using Socket connection = await ConnectAsync(port);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        byte[] echo = new byte[1];

        // A byte every 300 ms for 3 s: never idle for the 1 s timeout.
        while (clock.Elapsed < TimeSpan.FromSeconds(3))
        {
            await connection.SendAsync("x"u8.ToArray(), SocketFlags.None);
            Assert.Equal(1, await connection.ReceiveAsync(echo, SocketFlags.None).WaitAsync(TestTimeouts.Default));
            await Task.Delay(300); // the pace of the traffic, not a synchronisation
        }

        Assert.DoesNotContain(server.Logs.Entries, e => e.EventId == 1034);
    }

    [Fact]
    public async Task Session_KeepAliveConfigured_DeadAgentDroppedWithinIntervalPlusTimeout()
    {
        await using TestServer server = await TestServer.StartAsync(null, null,
            "--Tunnel:KeepAliveInterval=00:00:01", "--Tunnel:KeepAliveTimeout=00:00:01", "--Tunnel:Session:HelloTimeout=00:01:00");
        int port = FreePort.Next();
        await using RawTlsClient client = await RawTlsClient.ConnectAsync(server);
        await client.WriteAsync(
            "GET /tunnel HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n" +
            $"Sec-WebSocket-Key: {Convert.ToBase64String(Guid.NewGuid().ToByteArray())}\r\nSec-WebSocket-Protocol: reverse-tunnel.v1\r\n" +
            $"Authorization: Bearer {TestClients.AlphaToken}\r\nX-Tunnel-Port: {port}\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 101", await client.ReadHeadAsync(), StringComparison.Ordinal);
        await server.Logs.WaitForAsync(e => e.EventId == 1020);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        // The "agent" never reads again: no pong ever comes back.
        CapturedLog disconnected = await server.Logs.WaitForAsync(e => e.EventId == 1021);

        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(8));
        Assert.Contains("alpha", disconnected.Message, StringComparison.Ordinal);
    }

    private static async Task<Socket> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port)).WaitAsync(TestTimeouts.Default);
        return socket;
    }
}
