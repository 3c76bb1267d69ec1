using ReverseTunnel.EndToEnd.Tests.Harness;
using ReverseTunnel.EndToEnd.Tests.Targets;

namespace ReverseTunnel.EndToEnd.Tests;

/// <summary>What the product documentation promises when configuration is wrong: a clear message and a documented exit code.</summary>
public class RefusalTests
{
    private const string Token = "refusal-token-1a2b3c4d5e6f";

    [Fact]
    public async Task Agent_WrongToken_Gets401AndExitsWithCode3()
    {
        int port = FreePort.Next();
        await using TunnelEnvironment env = await TunnelEnvironment.StartAsync(("acme", Token, [port]));

        ChildProcess agent = env.StartAgent("not-a-registered-token", port, 9);

        Assert.Equal(3, await agent.Exited.WithTimeout());
        Assert.Contains("401", agent.Output);
        Assert.Contains("CLIENT_UUID", agent.Output);
        Assert.DoesNotContain("not-a-registered-token", agent.Output + env.Server.Output);
    }

    [Fact]
    public async Task Agent_PortNotAllowedForToken_Gets403AndExitsWithCode4()
    {
        int allowed = FreePort.Next();
        int other = FreePort.Next();
        await using TunnelEnvironment env = await TunnelEnvironment.StartAsync(("acme", Token, [allowed]));

        ChildProcess agent = env.StartAgent(Token, other, 9);

        Assert.Equal(4, await agent.Exited.WithTimeout());
        Assert.Contains("403", agent.Output);
        Assert.Contains(other.ToString(), agent.Output);
    }

    [Fact]
    public async Task SecondClient_OnPortInUse_Gets409AndExitsWithCode5WhileFirstKeepsServing()
    {
        int port = FreePort.Next();
        const string otherToken = "other-customer-token-77";
        await using var target = new TcpTarget();
        await using TunnelEnvironment env = await TunnelEnvironment.StartAsync(("acme", Token, [port]), ("globex", otherToken, [port]));
        ChildProcess first = await env.StartConnectedAgentAsync(Token, port, target.Port);

        ChildProcess second = env.StartAgent(otherToken, port, target.Port);

        Assert.Equal(5, await second.Exited.WithTimeout());
        Assert.Contains("409", second.Output);
        Assert.Contains(port.ToString(), second.Output);
        Assert.False(first.Exited.IsCompleted);
    }

    [Fact]
    public async Task Agent_MissingVariables_ExitsWithCode2NamingEachOne()
    {
        ChildProcess agent = ChildProcess.Start("ws-agent", ChildProcess.DllPath("AgentDll"), [], new Dictionary<string, string?>
        {
            ["TUNNEL_PORT"] = "5000",
            ["CLIENT_SIDE_PORT"] = "not-a-port",
        });
        await using (agent)
        {
            Assert.Equal(2, await agent.Exited.WithTimeout());
            Assert.Contains("CLIENT_SIDE_DOMAIN", agent.Output);
            Assert.Contains("SERVER_IP_DOMAIN", agent.Output);
            Assert.Contains("CLIENT_UUID", agent.Output);
            Assert.Contains("CLIENT_SIDE_PORT", agent.Output);
        }
    }
}
