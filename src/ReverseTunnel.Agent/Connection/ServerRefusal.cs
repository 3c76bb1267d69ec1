using System.Globalization;
using System.Net;
using ReverseTunnel.Agent.Runtime;

namespace ReverseTunnel.Agent.Connection;

/// <summary>
/// Maps a refused upgrade (HTTP status plus the server's problem document) to a
/// <see cref="ConnectFailure"/>. Only ws-server's own verdicts are terminal: the problem
/// <c>code</c> <c>unknown_token</c> (exit 3), <c>port_not_allowed</c> (4), <c>port_in_use</c> (5)
/// or <c>protocol_version_mismatch</c> (6). Everything else is retried with backoff, whatever the
/// status: a 401/403/426 without that code usually comes from a proxy, load balancer or WAF in
/// front of ws-server, and ending the agent for it would turn a passing fault into an outage.
/// </summary>
public static class ServerRefusal
{
    /// <summary>Describes a refusal; <paramref name="bodyExcerpt"/> is shown when there is no problem document.</summary>
    /// <param name="status">The HTTP status of the upgrade response.</param>
    /// <param name="problem">The parsed problem+json body, when there was one.</param>
    /// <param name="bodyExcerpt">A short, single-line excerpt of a body that was not problem JSON (an HTML error page).</param>
    public static ConnectFailure Describe(HttpStatusCode status, ServerProblem? problem, string? bodyExcerpt = null)
    {
        int code = (int)status;
        string? problemCode = problem?.Code is { Length: > 0 } c ? c : null;
        string label = problemCode is not null
            ? string.Create(CultureInfo.InvariantCulture, $"HTTP {code} {problemCode}")
            : string.Create(CultureInfo.InvariantCulture, $"HTTP {code}");

        (int? exitCode, string? fix) = problemCode switch
        {
            "unknown_token" => (ExitCodes.TokenRejected,
                "Check CLIENT_UUID; ask the platform operator for a valid token."),
            "port_not_allowed" => (ExitCodes.PortNotAllowed,
                "Set TUNNEL_PORT to a port this token may use, or ask the platform operator to allow it."),
            "port_in_use" => (ExitCodes.PortInUse,
                "Each TUNNEL_PORT serves one service: choose another TUNNEL_PORT, or stop the other agent that serves it."),
            "protocol_version_mismatch" => (ExitCodes.ProtocolVersionMismatch,
                "Run a ws-agent and ws-server of the same protocol version."),
            _ => ((int?)null, (string?)null),
        };

        string detail = problem?.Detail ?? problem?.Title ?? DefaultDetail(status, problemCode, bodyExcerpt);
        string message = $"the server refused the tunnel ({label}): {detail}";
        return new ConnectFailure(ConnectFailureKind.HttpStatus, message, status, problemCode, ExitCode: exitCode, Fix: fix);
    }

    private static string DefaultDetail(HttpStatusCode status, string? problemCode, string? bodyExcerpt)
    {
        string what = (status, problemCode) switch
        {
            (_, "unknown_token") => "The token in CLIENT_UUID is not registered on this server.",
            (_, "port_not_allowed") => "This token may not use TUNNEL_PORT.",
            (_, "port_in_use") => "TUNNEL_PORT is already served by another client.",
            (_, "protocol_version_mismatch") => "the server speaks another reverse-tunnel protocol version.",
            (HttpStatusCode.Conflict, _) => "the server could not open TUNNEL_PORT.",
            (HttpStatusCode.TooManyRequests, _) => "too many requests; retried after the server's Retry-After.",
            (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.UpgradeRequired, null) =>
                "the response carries no ws-server problem code, so it probably came from a proxy, load balancer or WAF in front of ws-server; it is retried.",
            (HttpStatusCode.BadRequest, _) => "the server rejected the upgrade request.",
            (HttpStatusCode.NotFound, _) => "there is no tunnel endpoint at /tunnel; check SERVER_IP_DOMAIN and SERVER_PORT point at ws-server.",
            _ when (int)status >= 500 => "the server failed; it will be retried.",
            _ => "unexpected response to the WebSocket upgrade; it is retried.",
        };

        return bodyExcerpt is { Length: > 0 } ? $"{what} Response body: \"{bodyExcerpt}\"" : what;
    }
}
