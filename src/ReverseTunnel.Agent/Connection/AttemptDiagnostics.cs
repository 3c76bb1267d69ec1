using System.Net;

namespace ReverseTunnel.Agent.Connection;

/// <summary>What one connection attempt observed besides its exception, for <see cref="ConnectFailureClassifier"/>.</summary>
/// <param name="Server">The server URI.</param>
/// <param name="Proxy">The proxy used for this attempt (without credentials); null when direct.</param>
/// <param name="Timeout">The time allowed for the handshake.</param>
/// <param name="TimedOut">True when that time ran out.</param>
/// <param name="StatusCode">The HTTP status of the upgrade response, when one arrived.</param>
/// <param name="Problem">The problem document sent with a refusal.</param>
/// <param name="Tls">Why the certificate was refused, when it was.</param>
/// <param name="BodyExcerpt">The text of a refusal body that was not problem JSON (a WAF's error page).</param>
/// <param name="RetryAfter">The refusal's <c>Retry-After</c>, when it had one.</param>
public sealed record AttemptDiagnostics(
    Uri Server,
    Uri? Proxy,
    TimeSpan Timeout,
    bool TimedOut = false,
    HttpStatusCode? StatusCode = null,
    ServerProblem? Problem = null,
    TlsFailure? Tls = null,
    string? BodyExcerpt = null,
    TimeSpan? RetryAfter = null);
