using System.Net.WebSockets;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;
using ReverseTunnel.Protocol;
using ReverseTunnel.Protocol.Multiplexing;

namespace ReverseTunnel.Agent.Tests.Infrastructure;

/// <summary>
/// The server side of the protocol for tests: accepts the upgrade with <c>reverse-tunnel.v1</c>,
/// records the request headers and runs a <see cref="MuxSession"/> (isServer: true) per connection.
/// </summary>
public sealed class MuxServer
{
    private readonly Channel<AcceptedSession> _sessions = Channel.CreateUnbounded<AcceptedSession>();

    /// <summary>The request delegate for <c>/tunnel</c>.</summary>
    public async Task HandleAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        WebSocket webSocket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { SubProtocol = ProtocolVersion.SubProtocol });
        var session = new MuxSession(webSocket, new MuxSessionOptions(), isServer: true);
        Task<SessionEnd> run = session.RunAsync(context.RequestAborted);
        await _sessions.Writer.WriteAsync(new AcceptedSession(session, headers, run));
        await run;
        await session.DisposeAsync();
    }

    /// <summary>Waits for the next agent to connect.</summary>
    public async Task<AcceptedSession> NextSessionAsync() =>
        await _sessions.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
}
