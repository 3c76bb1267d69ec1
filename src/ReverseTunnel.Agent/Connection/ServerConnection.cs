using System.Net.WebSockets;

namespace ReverseTunnel.Agent.Connection;

/// <summary>
/// An accepted WebSocket to ws-server and the HTTP handler under it; disposing releases both.
/// The handler lives as long as the WebSocket because the connection under it belongs to the handler.
/// </summary>
public sealed class ServerConnection(WebSocket webSocket, IDisposable? owner = null) : IAsyncDisposable
{
    /// <summary>The open WebSocket, speaking <c>reverse-tunnel.v1</c>.</summary>
    public WebSocket WebSocket { get; } = webSocket;

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        WebSocket.Dispose();
        owner?.Dispose();
        return ValueTask.CompletedTask;
    }
}
