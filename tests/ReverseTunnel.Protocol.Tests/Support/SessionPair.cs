using System.Net.Sockets;
using System.Net.WebSockets;
using System.Threading.Channels;
using ReverseTunnel.Protocol.Multiplexing;

namespace ReverseTunnel.Protocol.Tests.Support;

/// <summary>
/// A server session and an agent session joined by a real loopback TCP connection carrying real
/// WebSocket framing. Streams the server opens show up in <see cref="Accepted"/> on the agent side.
/// </summary>
internal sealed class SessionPair : IAsyncDisposable
{
    private SessionPair(MuxSession server, MuxSession agent, Channel<MuxStream> accepted)
    {
        Server = server;
        Agent = agent;
        Accepted = accepted.Reader;
        ServerRun = server.RunAsync();
        AgentRun = agent.RunAsync();
    }

    public MuxSession Server { get; }

    public MuxSession Agent { get; }

    public ChannelReader<MuxStream> Accepted { get; }

    public Task<SessionEnd> ServerRun { get; }

    public Task<SessionEnd> AgentRun { get; }

    public static async Task<SessionPair> CreateAsync(
        MuxSessionOptions? serverOptions = null, MuxSessionOptions? agentOptions = null, Func<Stream, Stream>? wrapAgentTransport = null)
    {
        (Socket a, Socket b) = await SocketPair.CreateAsync();
        Stream agentStream = new NetworkStream(a, ownsSocket: true);
        if (wrapAgentTransport is not null)
        {
            agentStream = wrapAgentTransport(agentStream);
        }

        WebSocket serverSocket = WebSocket.CreateFromStream(new NetworkStream(b, ownsSocket: true), new WebSocketCreationOptions { IsServer = true });
        WebSocket agentSocket = WebSocket.CreateFromStream(agentStream, new WebSocketCreationOptions { IsServer = false });
        var accepted = Channel.CreateUnbounded<MuxStream>();
        var server = new MuxSession(serverSocket, serverOptions ?? new MuxSessionOptions(), isServer: true);
        var agent = new MuxSession(agentSocket, agentOptions ?? new MuxSessionOptions(), isServer: false, acceptStream: s =>
        {
            accepted.Writer.TryWrite(s);
            return Task.CompletedTask;
        });
        return new SessionPair(server, agent, accepted);
    }

    /// <summary>Opens a stream on the server and returns both ends.</summary>
    public async Task<(MuxStream ServerEnd, MuxStream AgentEnd)> OpenAsync()
    {
        MuxStream serverEnd = await Server.OpenStreamAsync().WithTimeout();
        MuxStream agentEnd = await Accepted.ReadAsync().AsTask().WithTimeout();
        return (serverEnd, agentEnd);
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        await Agent.DisposeAsync();
    }
}
