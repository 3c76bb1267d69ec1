using System.Globalization;
using System.Net;
using ReverseTunnel.Agent.Runtime;

namespace ReverseTunnel.Agent.Connection;

/// <summary>
/// Maps a refused upgrade (HTTP status plus the server's problem document) to a
/// <see cref="ConnectFailure"/>: the four terminal refusals of the contract get an exit code and a
/// fix; everything else (400, 409 <c>port_unavailable</c>, 5xx, ...) is retried.
/// </summary>
public static class ServerRefusal
{
    /// <summary>Describes a refusal; uses the documented messages when the server sent no problem body.</summary>
    public static ConnectFailure Describe(HttpStatusCode status, ServerProblem? problem)
    {
        int code = (int)status;
        string detail = problem?.Detail ?? problem?.Title ?? DefaultDetail(status, problem?.Code);
        string label = problem?.Code is { Length: > 0 } problemCode
            ? string.Create(CultureInfo.InvariantCulture, $"HTTP {code} {problemCode}")
            : string.Create(CultureInfo.InvariantCulture, $"HTTP {code}");
        string message = $"the server refused the tunnel ({label}): {detail}";

        (int? exitCode, string? fix) = (status, problem?.Code) switch
        {
            (HttpStatusCode.Unauthorized, _) => (ExitCodes.TokenRejected,
                "Check CLIENT_UUID; ask the platform operator for a valid token."),
            (HttpStatusCode.Forbidden, _) => (ExitCodes.PortNotAllowed,
                "Set TUNNEL_PORT to a port this token may use, or ask the platform operator to allow it."),
            (HttpStatusCode.Conflict, "port_in_use") => (ExitCodes.PortInUse,
                "Each TUNNEL_PORT serves one service: choose another TUNNEL_PORT, or stop the other agent that serves it."),
            (HttpStatusCode.UpgradeRequired, _) => (ExitCodes.ProtocolVersionMismatch,
                "Run a ws-agent and ws-server of the same protocol version."),
            _ => ((int?)null, (string?)null),
        };

        return new ConnectFailure(ConnectFailureKind.HttpStatus, message, status, problem?.Code, ExitCode: exitCode, Fix: fix);
    }

    private static string DefaultDetail(HttpStatusCode status, string? problemCode) => (status, problemCode) switch
    {
        (HttpStatusCode.Unauthorized, _) => "The token in CLIENT_UUID is not registered on this server.",
        (HttpStatusCode.Forbidden, _) => "This token may not use TUNNEL_PORT.",
        (HttpStatusCode.Conflict, "port_in_use") => "TUNNEL_PORT is already served by another client.",
        (HttpStatusCode.Conflict, _) => "the server could not open TUNNEL_PORT.",
        (HttpStatusCode.UpgradeRequired, _) => "the server speaks another reverse-tunnel protocol version.",
        (HttpStatusCode.BadRequest, _) => "the server rejected the upgrade request.",
        (HttpStatusCode.NotFound, _) => "there is no tunnel endpoint at /tunnel; check SERVER_IP_DOMAIN and SERVER_PORT point at ws-server.",
        _ when (int)status >= 500 => "the server failed; it will be retried.",
        _ => "unexpected response to the WebSocket upgrade.",
    };
}
