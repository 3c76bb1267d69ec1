using System.Net;
using ReverseTunnel.Server.Endpoints;
using ReverseTunnel.Server.Tests.Infrastructure;

namespace ReverseTunnel.Server.Tests.Endpoints;

/// <summary>The 426 says which side to upgrade, and carries the Upgrade header (RFC 9110 section 15.5.22).</summary>
public sealed class VersionMismatchTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Handshake_SeveralNewerVersions_Returns426NamingHighest()
    {
        HandshakeResponse response = await HandshakeClient.SendAsync(_server, TestClients.AlphaToken, "5000", ["reverse-tunnel.v2", "reverse-tunnel.v3", "chat"]);

        Assert.Equal((HttpStatusCode)426, response.Status);
        Assert.Equal("protocol_version_mismatch", response.Code);
        Assert.Equal(
            "This ws-server speaks reverse-tunnel.v1; the agent speaks reverse-tunnel.v3. Upgrade ws-server, or run a ws-agent that speaks v1.",
            response.Detail);
        Assert.Equal("websocket", response.Upgrade);
    }

    [Fact]
    public async Task Handshake_LeadingZeroVersion_Returns426NotAccepted()
    {
        HandshakeResponse response = await HandshakeClient.SendAsync(_server, TestClients.AlphaToken, "5000", ["reverse-tunnel.v01"]);

        Assert.Equal((HttpStatusCode)426, response.Status);
        Assert.Equal("protocol_version_mismatch", response.Code);
        Assert.Contains("reverse-tunnel.v01", response.Detail, StringComparison.Ordinal);
        Assert.Equal("websocket", response.Upgrade);
    }

    [Fact]
    public void VersionMismatch_OlderAgent_SaysUpgradeAgent()
    {
        TunnelProblem problem = TunnelProblems.VersionMismatch(0);

        Assert.Equal("This ws-server speaks reverse-tunnel.v1; the agent speaks reverse-tunnel.v0. Upgrade ws-agent.", problem.Detail);
    }
}
