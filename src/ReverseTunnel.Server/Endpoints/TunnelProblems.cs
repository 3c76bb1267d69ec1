using Microsoft.AspNetCore.Http;
using ReverseTunnel.Protocol;

namespace ReverseTunnel.Server.Endpoints;

/// <summary>Every refusal of the <c>/tunnel</c> endpoint, in the order the checks run.</summary>
internal static class TunnelProblems
{
    public static TunnelProblem NotWebSocket() => new(StatusCodes.Status400BadRequest, "not_websocket", "Not a WebSocket request",
        $"This endpoint is for ws-agent: a WebSocket upgrade offering the subprotocol {ProtocolVersion.SubProtocol}. Use GET / for a health check.");

    public static TunnelProblem VersionMismatch(string offered) => new(StatusCodes.Status426UpgradeRequired, "protocol_version_mismatch", "Protocol version mismatch",
        $"This server speaks {ProtocolVersion.SubProtocol}; the agent offered {offered}. Run a ws-agent and ws-server of the same protocol version.");

    public static TunnelProblem BadRequest(string detail) => new(StatusCodes.Status400BadRequest, "bad_request", "Bad request", detail);

    public static TunnelProblem UnknownToken() => new(StatusCodes.Status401Unauthorized, "unknown_token", "Unknown token",
        "The token in CLIENT_UUID is not registered on this server. Check CLIENT_UUID; ask the platform operator for a valid token.");

    public static TunnelProblem PortNotAllowed(string detail) => new(StatusCodes.Status403Forbidden, "port_not_allowed", "Port not allowed", detail);

    public static TunnelProblem PortInUse(int port) => new(StatusCodes.Status409Conflict, "port_in_use", "Port in use",
        $"Port {port} is already served by another client; each TUNNEL_PORT serves one service. Choose another TUNNEL_PORT or stop the other agent.");

    public static TunnelProblem PortUnavailable(int port, string error) => new(StatusCodes.Status409Conflict, "port_unavailable", "Port unavailable",
        $"Port {port} cannot be opened on the server ({error}). The agent retries; if this persists, ask the platform operator to free the port.");

    public static TunnelProblem ShuttingDown() => new(StatusCodes.Status503ServiceUnavailable, "shutting_down", "Server shutting down",
        "The server is shutting down. The agent retries and reconnects once it is back.");
}
