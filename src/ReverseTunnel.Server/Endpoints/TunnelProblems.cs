using System.Globalization;
using Microsoft.AspNetCore.Http;
using ReverseTunnel.Protocol;

namespace ReverseTunnel.Server.Endpoints;

/// <summary>Every refusal of the <c>/tunnel</c> endpoint, in the order the checks run.</summary>
internal static class TunnelProblems
{
    public static TunnelProblem NotWebSocket() => new(StatusCodes.Status400BadRequest, "not_websocket", "Not a WebSocket request",
        $"This endpoint is for ws-agent: a WebSocket upgrade offering the subprotocol {ProtocolVersion.SubProtocol}. Use GET / for a health check.");

    /// <summary>The agent speaks other versions only; the detail says which side to upgrade.</summary>
    public static TunnelProblem VersionMismatch(int agentVersion)
    {
        string theirs = ProtocolVersion.SubProtocolPrefix + agentVersion.ToString(CultureInfo.InvariantCulture);
        string upgrade = agentVersion > ProtocolVersion.Current ? "Upgrade ws-server" : "Upgrade ws-agent";
        string alternative = agentVersion > ProtocolVersion.Current ? $", or run a ws-agent that speaks v{ProtocolVersion.Current}" : string.Empty;
        return VersionProblem($"This ws-server speaks {ProtocolVersion.SubProtocol}; the agent speaks {theirs}. {upgrade}{alternative}.");
    }

    public static TunnelProblem NoSubprotocol() => VersionProblem(
        $"The agent offered no reverse-tunnel subprotocol; this endpoint is for ws-agent ({ProtocolVersion.SubProtocol}).");

    public static TunnelProblem MalformedVersion(string offered) => VersionProblem(
        $"This ws-server speaks {ProtocolVersion.SubProtocol}; the agent offered {offered}, which is not a valid version name (reverse-tunnel.vN, N without leading zeros). Run a ws-agent that speaks v{ProtocolVersion.Current}.");

    public static TunnelProblem BadRequest(string detail) => new(StatusCodes.Status400BadRequest, "bad_request", "Bad request", detail);

    public static TunnelProblem UnknownToken() => new(StatusCodes.Status401Unauthorized, "unknown_token", "Unknown token",
        "The token in CLIENT_UUID is not registered on this server. Check CLIENT_UUID; ask the platform operator for a valid token.");

    public static TunnelProblem PortNotAllowed(string detail) => new(StatusCodes.Status403Forbidden, "port_not_allowed", "Port not allowed", detail);

    public static TunnelProblem PortInUse(int port) => new(StatusCodes.Status409Conflict, "port_in_use", "Port in use",
        $"Port {port} is already served by another client; each TUNNEL_PORT serves one service. Choose another TUNNEL_PORT or stop the other agent.");

    /// <summary>Same client, same port, another service: both targets are the client's own, so naming them leaks nothing.</summary>
    public static TunnelProblem PortServesOtherTarget(int port, string currentTarget, string requestedTarget) => new(StatusCodes.Status409Conflict, "port_in_use", "Port in use",
        $"Port {port} already serves {currentTarget} for this client; this agent asks for {requestedTarget}. Each TUNNEL_PORT serves one service: choose another TUNNEL_PORT for this service.");

    public static TunnelProblem PortUnavailable(int port, string error) => new(StatusCodes.Status409Conflict, "port_unavailable", "Port unavailable",
        $"Port {port} cannot be opened on the server ({error}). The agent retries; if this persists, ask the platform operator to free the port.");

    public static TunnelProblem ShuttingDown() => new(StatusCodes.Status503ServiceUnavailable, "shutting_down", "Server shutting down",
        "The server is shutting down. The agent retries and reconnects once it is back.");

    public static TunnelProblem TooManyFailures(int retryAfterSeconds) => new(StatusCodes.Status429TooManyRequests, "too_many_failures", "Too many failed handshakes",
        $"Too many handshakes from this address failed authentication recently; retry in {retryAfterSeconds} s. Check CLIENT_UUID and TUNNEL_PORT of the agents behind this address.",
        retryAfterSeconds);

    public static TunnelProblem TooManySessions(int limit) => new(StatusCodes.Status503ServiceUnavailable, "too_many_sessions", "Too many sessions",
        $"This server carries its maximum of {limit} agent sessions (Tunnel:MaxSessions). The agent retries; the platform operator can add capacity.",
        5);

    public static TunnelProblem TooManyClientSessions(int limit) => new(StatusCodes.Status429TooManyRequests, "too_many_client_sessions", "Too many sessions for this client",
        $"This token already holds its maximum of {limit} sessions (Tunnel:MaxSessionsPerClient). Stop agents of this token that are no longer needed, or ask the platform operator to raise the limit.",
        30);

    private static TunnelProblem VersionProblem(string detail) =>
        new(StatusCodes.Status426UpgradeRequired, "protocol_version_mismatch", "Protocol version mismatch", detail);
}
