using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using ReverseTunnel.EndToEnd.Tests.Harness;
using ReverseTunnel.EndToEnd.Tests.Targets;

namespace ReverseTunnel.EndToEnd.Tests;

/// <summary>Processes killed and restarted, targets gone: nothing hangs, nothing ends falsely clean.</summary>
public class ResilienceTests
{
    private const string Token = "resilience-token-9f8e7d6c5b4a";

    [Fact]
    public async Task AgentKilled_MidTransfer_ClientSeesResetNotEof()
    {
        int port = FreePort.Next();
        await using var target = new TcpTarget();
        await using TunnelEnvironment env = await TunnelEnvironment.StartAsync(("acme", Token, [port]));
        ChildProcess agent = await env.StartConnectedAgentAsync(Token, port, target.Port);
        using Socket socket = await TunnelClient.ConnectAsync(port);
        await socket.SendLineAsync("source 1073741824 1");
        byte[] first = new byte[1024];
        Assert.True(await socket.ReceiveAsync(first) > 0);

        await agent.KillAsync();

        Assert.True(await socket.EndsWithResetAsync().WithTimeout(), "A lost agent must reset the client's connection, not end it with FIN.");
    }

    [Fact]
    public async Task ServerKilled_MidTransfer_ClientSeesResetNotEof()
    {
        int port = FreePort.Next();
        await using var target = new TcpTarget();
        await using TunnelEnvironment env = await TunnelEnvironment.StartAsync(("acme", Token, [port]));
        await env.StartConnectedAgentAsync(Token, port, target.Port);
        using Socket socket = await TunnelClient.ConnectAsync(port);
        await socket.SendLineAsync("source 1073741824 1");
        byte[] first = new byte[1024];
        Assert.True(await socket.ReceiveAsync(first) > 0);

        // SIGKILL: no code of ws-server runs, so only the socket's own state (SO_LINGER 0, which
        // the tunnel port's connections inherit from their listener) can make the kernel reset it.
        await env.Server.KillAsync();

        Assert.True(await socket.EndsWithResetAsync().WithTimeout(), "A dead ws-server must leave the client's connection reset, not ended with FIN.");
    }

    [Fact]
    public async Task ServerRestarted_AgentReconnectsByItself_TunnelWorksAgain()
    {
        int port = FreePort.Next();
        await using var target = new TcpTarget();
        await using TunnelEnvironment env = await TunnelEnvironment.StartAsync(("acme", Token, [port]));
        ChildProcess agent = await env.StartConnectedAgentAsync(Token, port, target.Port);
        int serverPort = env.ServerPort;

        await env.Server.KillAsync();
        await agent.WaitForLineAsync("(?i)disconnected");
        await env.StartServerAsync(serverPort);
        await env.WaitForAgentConnectedAsync(port, 1);

        Assert.Equal("ping", await EchoAsync(port, "ping"));
        Assert.False(agent.Exited.IsCompleted);
    }

    [Fact]
    public async Task AgentRestarted_AfterKill_PortIsServedAgainAtOnce()
    {
        int port = FreePort.Next();
        await using var target = new TcpTarget();
        await using TunnelEnvironment env = await TunnelEnvironment.StartAsync(("acme", Token, [port]));
        ChildProcess first = await env.StartConnectedAgentAsync(Token, port, target.Port);

        await first.KillAsync();
        var restart = Stopwatch.StartNew();
        await env.StartConnectedAgentAsync(Token, port, target.Port);

        Assert.Equal("again", await EchoAsync(port, "again"));
        Assert.True(restart.Elapsed < TimeSpan.FromSeconds(20), $"The restarted agent took {restart.Elapsed} to serve its port.");
        Assert.Equal(0, env.Server.CountLines("port_in_use|already in use"));
    }

    [Fact]
    public async Task TargetUnreachable_ClientIsResetPromptlyAndAgentStaysUp()
    {
        int port = FreePort.Next();
        int deadTargetPort = FreePort.Next(); // nothing listens here
        await using TunnelEnvironment env = await TunnelEnvironment.StartAsync(("acme", Token, [port]));
        ChildProcess agent = await env.StartConnectedAgentAsync(Token, port, deadTargetPort);

        var elapsed = Stopwatch.StartNew();
        using (Socket socket = await TunnelClient.ConnectAsync(port))
        {
            await socket.SendLineAsync("echo");
            Assert.True(await socket.EndsWithResetAsync().WithTimeout());
        }

        Assert.True(elapsed.Elapsed < TimeSpan.FromSeconds(5), $"Reset took {elapsed.Elapsed}.");
        Assert.False(agent.Exited.IsCompleted);

        // The agent is still serving: once the target listens, the same tunnel works.
        await using var target = new TcpTarget(deadTargetPort);
        Assert.Equal("back", await EchoAsync(port, "back"));
    }

    [Fact]
    public async Task NoAgent_ConnectionToTunnelPort_IsRefusedOrResetPromptly()
    {
        int port = FreePort.Next();
        await using var target = new TcpTarget();
        await using TunnelEnvironment env = await TunnelEnvironment.StartAsync(("acme", Token, [port]));
        ChildProcess agent = await env.StartConnectedAgentAsync(Token, port, target.Port);
        await agent.KillAsync();
        await env.Server.WaitForLineAsync($@"Agent disconnected.*port {port}\b");

        var elapsed = Stopwatch.StartNew();
        bool refusedOrReset;
        try
        {
            using Socket socket = await TunnelClient.ConnectAsync(port);
            await socket.SendLineAsync("echo");
            refusedOrReset = await socket.EndsWithResetAsync().WithTimeout();
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
        {
            refusedOrReset = true;
        }

        Assert.True(refusedOrReset);
        Assert.True(elapsed.Elapsed < TimeSpan.FromSeconds(5));
    }

    private static async Task<string> EchoAsync(int port, string text)
    {
        using Socket socket = await TunnelClient.ConnectAsync(port);
        await socket.SendLineAsync("echo");
        await socket.SendAllAsync(Encoding.ASCII.GetBytes(text));
        socket.Shutdown(SocketShutdown.Send);
        return Encoding.ASCII.GetString(await socket.ReadToEndAsync().WithTimeout());
    }
}
