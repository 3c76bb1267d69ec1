using System.Net;
using ReverseTunnel.Server.Tests.Infrastructure;

namespace ReverseTunnel.Server.Tests.Endpoints;

public sealed class HandshakeTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Handshake_NotWebSocket_Returns400NotWebSocket()
    {
        HandshakeResponse response = await HandshakeClient.SendAsync(_server, TestClients.AlphaToken, "5000", null, webSocket: false);

        AssertProblem(response, HttpStatusCode.BadRequest, "not_websocket");
        Assert.Contains("GET /", response.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Handshake_NoSubprotocol_Returns426WithFix()
    {
        HandshakeResponse response = await HandshakeClient.SendAsync(_server, TestClients.AlphaToken, "5000", subProtocols: null);

        AssertProblem(response, (HttpStatusCode)426, "protocol_version_mismatch");
        Assert.Equal(
            "The agent offered no reverse-tunnel subprotocol; this endpoint is for ws-agent (reverse-tunnel.v1).",
            response.Detail);
        Assert.Equal("websocket", response.Upgrade);
    }

    [Fact]
    public async Task Handshake_OtherVersion_Returns426NamingBothVersions()
    {
        HandshakeResponse response = await HandshakeClient.SendAsync(_server, TestClients.AlphaToken, "5000", ["reverse-tunnel.v2"]);

        AssertProblem(response, (HttpStatusCode)426, "protocol_version_mismatch");
        Assert.Equal(
            "This ws-server speaks reverse-tunnel.v1; the agent speaks reverse-tunnel.v2. Upgrade ws-server, or run a ws-agent that speaks v1.",
            response.Detail);
        Assert.Equal("websocket", response.Upgrade);
    }

    [Fact]
    public async Task Handshake_VersionCheckedBeforeToken_Returns426ForUnknownToken()
    {
        HandshakeResponse response = await HandshakeClient.SendAsync(_server, "not-registered", "5000", ["reverse-tunnel.v9"]);

        AssertProblem(response, (HttpStatusCode)426, "protocol_version_mismatch");
    }

    [Theory]
    [InlineData(null, "5000", "Authorization")]
    [InlineData("", "5000", "Authorization")]
    [InlineData(TestClients.AlphaToken, null, "X-Tunnel-Port")]
    [InlineData(TestClients.AlphaToken, "port", "X-Tunnel-Port")]
    [InlineData(TestClients.AlphaToken, "70000", "X-Tunnel-Port")]
    public async Task Handshake_BadHeader_Returns400NamingHeader(string? token, string? port, string header)
    {
        HandshakeResponse response = await HandshakeClient.SendAsync(_server, token, port, [ReverseTunnel.Protocol.ProtocolVersion.SubProtocol]);

        AssertProblem(response, HttpStatusCode.BadRequest, "bad_request");
        Assert.Contains(header, response.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Handshake_UnknownToken_Returns401ProblemJson()
    {
        HandshakeResponse response = await HandshakeClient.SendAsync(_server, "not-a-registered-token", FreePort.Next());

        AssertProblem(response, HttpStatusCode.Unauthorized, "unknown_token");
        Assert.Equal("https://reverse-tunnel.dev/errors/unknown_token", response.Problem.GetProperty("type").GetString());
        Assert.Equal(401, response.Problem.GetProperty("status").GetInt32());
        Assert.Contains("CLIENT_UUID", response.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Handshake_PortNotAllowedForToken_Returns403NamingAllowedPorts()
    {
        int port = FreePort.Next();

        HandshakeResponse response = await HandshakeClient.SendAsync(_server, TestClients.LimitedToken, port);

        AssertProblem(response, HttpStatusCode.Forbidden, "port_not_allowed");
        Assert.Contains($"Port {port}", response.Detail, StringComparison.Ordinal);
        Assert.Contains(TestClients.LimitedPort, response.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Handshake_PortOutsideServerRange_Returns403()
    {
        HandshakeResponse response = await HandshakeClient.SendAsync(_server, TestClients.AlphaToken, 80);

        AssertProblem(response, HttpStatusCode.Forbidden, "port_not_allowed");
        Assert.Contains("1024-65535", response.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Handshake_PortHeldByOtherToken_Returns409WithoutNamingOwner()
    {
        int port = FreePort.Next();
        await using FakeAgent alpha = await FakeAgent.ConnectAsync(_server, TestClients.AlphaToken, port);

        HandshakeResponse response = await HandshakeClient.SendAsync(_server, TestClients.BetaToken, port);

        AssertProblem(response, HttpStatusCode.Conflict, "port_in_use");
        Assert.Contains($"Port {port}", response.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("alpha", response.Detail, StringComparison.OrdinalIgnoreCase);
        Assert.False(alpha.Run.IsCompleted, "the holder's session must not be disturbed");
    }

    [Fact]
    public async Task Handshake_PortBoundByAnotherProgram_Returns409PortUnavailable()
    {
        using var squatter = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        int port = ((IPEndPoint)squatter.LocalEndpoint).Port;

        HandshakeResponse response = await HandshakeClient.SendAsync(_server, TestClients.AlphaToken, port);

        AssertProblem(response, HttpStatusCode.Conflict, "port_unavailable");
    }

    [Fact]
    public async Task Handshake_Valid_Returns101WithSubprotocol()
    {
        await using FakeAgent agent = await FakeAgent.ConnectAsync(_server, TestClients.AlphaToken, FreePort.Next());

        Assert.Equal(ReverseTunnel.Protocol.ProtocolVersion.SubProtocol, agent.WebSocket.SubProtocol);
        Assert.Equal(HttpStatusCode.SwitchingProtocols, agent.WebSocket.HttpStatusCode);
    }

    [Fact]
    public async Task Handshake_AnyOutcome_NeverLogsToken()
    {
        int port = FreePort.Next();
        await HandshakeClient.SendAsync(_server, TestClients.LimitedToken, port);
        await HandshakeClient.SendAsync(_server, TestClients.AlphaToken, 80);
        await HandshakeClient.SendAsync(_server, "secret-unknown-token-xyz", port);
        await using (FakeAgent agent = await FakeAgent.ConnectAsync(_server, TestClients.AlphaToken, port))
        {
            await HandshakeClient.SendAsync(_server, TestClients.BetaToken, port);
        }

        string[] secrets = [TestClients.AlphaToken, TestClients.BetaToken, TestClients.LimitedToken, "secret-unknown-token-xyz"];
        foreach (CapturedLog entry in _server.Logs.Entries)
        {
            foreach (string secret in secrets)
            {
                Assert.DoesNotContain(secret, entry.Message, StringComparison.Ordinal);
                Assert.DoesNotContain(secret, entry.Exception ?? string.Empty, StringComparison.Ordinal);
            }
        }

        Assert.Contains(_server.Logs.Entries, e => e.EventId == 1022 && e.Message.Contains("unknown_token", StringComparison.Ordinal));
    }

    private static void AssertProblem(HandshakeResponse response, HttpStatusCode status, string code)
    {
        Assert.Equal(status, response.Status);
        Assert.Equal("application/problem+json", response.ContentType);
        Assert.Equal(code, response.Code);
        Assert.Equal((int)status, response.Problem.GetProperty("status").GetInt32());
    }
}
