using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace ReverseTunnel.Server.Endpoints;

/// <summary>The agent's handshake headers, checked. <see cref="Token"/> is secret: never log it.</summary>
/// <param name="Token">The bearer token (CLIENT_UUID).</param>
/// <param name="Port">The tunnel port asked for.</param>
/// <param name="Target">The agent's target, for logs only; sanitised.</param>
internal sealed record TunnelRequest(string Token, int Port, string Target)
{
    public const string PortHeader = "X-Tunnel-Port";
    public const string TargetHeader = "X-Tunnel-Target";

    // Longest token accepted; far above a UUID, low enough to bound hashing work per request.
    private const int MaxTokenLength = 1024;

    // X-Tunnel-Target is only logged: cut so that one header cannot flood a log line.
    private const int MaxTargetLength = 256;

    /// <summary>Reads the headers; returns a problem naming the bad header, or null.</summary>
    public static TunnelProblem? TryRead(HttpRequest request, out TunnelRequest? tunnelRequest)
    {
        tunnelRequest = null;
        StringValues authorization = request.Headers.Authorization;
        if (authorization.Count == 0)
        {
            return TunnelProblems.BadRequest("The Authorization header is missing. Send 'Authorization: Bearer <CLIENT_UUID>'.");
        }

        const string Scheme = "Bearer ";
        string value = authorization.Count == 1 ? authorization[0] ?? string.Empty : string.Empty;
        string token = value.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) ? value[Scheme.Length..].Trim() : string.Empty;
        if (token.Length == 0 || token.Length > MaxTokenLength)
        {
            // The header's value is never echoed: it may be the secret, even when malformed.
            return TunnelProblems.BadRequest($"The Authorization header must be one 'Bearer <CLIENT_UUID>' with a token of 1 to {MaxTokenLength} characters.");
        }

        StringValues portHeader = request.Headers[PortHeader];
        if (portHeader.Count == 0)
        {
            return TunnelProblems.BadRequest($"The {PortHeader} header is missing. Send '{PortHeader}: <TUNNEL_PORT>', the port to open on the server.");
        }

        if (portHeader.Count != 1
            || !int.TryParse(portHeader[0], NumberStyles.None, CultureInfo.InvariantCulture, out int port)
            || port is < 1 or > 65535)
        {
            return TunnelProblems.BadRequest($"The {PortHeader} header must be one decimal port number between 1 and 65535 (TUNNEL_PORT).");
        }

        tunnelRequest = new TunnelRequest(token, port, Sanitize(request.Headers[TargetHeader].ToString()));
        return null;
    }

    /// <inheritdoc />
    public override string ToString() => $"port {Port} target {Target}";

    private static string Sanitize(string target)
    {
        if (string.IsNullOrWhiteSpace(target))
        {
            return "(not given)";
        }

        if (target.Length > MaxTargetLength)
        {
            target = target[..MaxTargetLength] + "...";
        }

        return string.Create(target.Length, target, static (span, source) =>
        {
            for (int i = 0; i < source.Length; i++)
            {
                span[i] = char.IsControl(source[i]) ? '?' : source[i];
            }
        });
    }
}
