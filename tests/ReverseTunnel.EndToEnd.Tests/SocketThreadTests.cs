using System.Net.Sockets;
using System.Text;
using ReverseTunnel.EndToEnd.Tests.Harness;
using ReverseTunnel.EndToEnd.Tests.Targets;

namespace ReverseTunnel.EndToEnd.Tests;

/// <summary>
/// How many threads wait on epoll for each process's sockets (docs/operations.md, "Threads"): the
/// runtime names them ".NET Sockets" and starts all of them with the first socket operation.
/// </summary>
public class SocketThreadTests
{
    private const string Token = "socket-thread-token-5e4d3c2b1a";
    private const string ThreadCountVariable = "DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT";

    // The runtime takes its processor count from here when set, so a 2-core machine can show what
    // the defaults do on a larger one.
    private const string ProcessorCountVariable = "DOTNET_PROCESSOR_COUNT";

    [Fact]
    public async Task Processes_ByDefault_AgentRunsOneSocketThreadServerOnePerCoreButOne()
    {
        (ChildProcess server, ChildProcess agent, TunnelEnvironment env, TcpTarget target) = await StartAsync(extra: null);
        await using (env)
        await using (target)
        {
            Assert.Equal(1, SocketThreads(agent.Id));
            Assert.Equal(Math.Max(1, Environment.ProcessorCount - 1), SocketThreads(server.Id));
        }
    }

    [Fact]
    public async Task Server_OnEightCores_RunsSevenSocketThreads()
    {
        await using TunnelEnvironment env = await TunnelEnvironment.StartAsync(new Dictionary<string, string?> { [ProcessorCountVariable] = "8" });

        Assert.Equal(7, SocketThreads(env.Server.Id));
    }

    [Fact]
    public async Task Server_InlineCompletionsTurnedOff_KeepsTheRuntimesOwnCount()
    {
        // The runtime's count without inline completions: one per 30 cores, at least one.
        await using TunnelEnvironment env = await TunnelEnvironment.StartAsync(new Dictionary<string, string?>
        {
            [ProcessorCountVariable] = "8",
            ["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"] = "0",
        });

        Assert.Equal(1, SocketThreads(env.Server.Id));
    }

    [Theory]
    [InlineData(ProcessorCountVariable, "8", 1)] // One session, one read loop: one thread on any machine.
    [InlineData(ThreadCountVariable, "3", 3)] // The operator's choice is kept.
    public async Task Agent_WithVariable_RunsExpectedSocketThreads(string variable, string value, int expected)
    {
        (_, ChildProcess agent, TunnelEnvironment env, TcpTarget target) = await StartAsync(new Dictionary<string, string?> { [variable] = value });
        await using (env)
        await using (target)
        {
            Assert.Equal(expected, SocketThreads(agent.Id));
        }
    }

    /// <summary>Starts a server and an agent and passes one echo through, so that both have used sockets.</summary>
    private static async Task<(ChildProcess Server, ChildProcess Agent, TunnelEnvironment Env, TcpTarget Target)> StartAsync(IDictionary<string, string?>? extra)
    {
        int port = FreePort.Next();
        var target = new TcpTarget();
        TunnelEnvironment env = await TunnelEnvironment.StartAsync(("acme", Token, [port]));
        ChildProcess agent = await env.StartConnectedAgentAsync(Token, port, target.Port, extra);
        using Socket socket = await TunnelClient.ConnectAsync(port);
        await socket.SendLineAsync("echo");
        await socket.SendAllAsync("ping"u8.ToArray());
        socket.Shutdown(SocketShutdown.Send);
        Assert.Equal("ping", Encoding.ASCII.GetString(await socket.ReadToEndAsync().WithTimeout()));
        return (env.Server, agent, env, target);
    }

    private static int SocketThreads(int pid) =>
        Directory.GetDirectories($"/proc/{pid}/task")
            .Count(task => File.ReadAllText(Path.Combine(task, "comm")).Trim() == ".NET Sockets");
}
