using System.Net;

namespace ReverseTunnel.Agent.Connection;

/// <summary>
/// A failed connection attempt, typed: what went wrong and a message for one log line. A failure
/// with an <see cref="ExitCode"/> is terminal (retrying cannot help); every other one is retried.
/// </summary>
/// <param name="Kind">The class of failure.</param>
/// <param name="Message">Why, in words, with the fix when there is one; never contains the token.</param>
/// <param name="StatusCode">The HTTP status of a refused upgrade.</param>
/// <param name="ProblemCode">The server's problem <c>code</c> (e.g. <c>port_in_use</c>).</param>
/// <param name="TlsReason">For <see cref="ConnectFailureKind.Tls"/>: what was wrong with the certificate.</param>
/// <param name="ExitCode">The process exit code for a terminal refusal; null when the agent retries.</param>
/// <param name="Fix">For a terminal refusal: what the operator must change.</param>
/// <param name="RetryAfter">The server's <c>Retry-After</c> (429 <c>too_many_failures</c>, 503): the next attempt waits at least this long.</param>
public sealed record ConnectFailure(
    ConnectFailureKind Kind,
    string Message,
    HttpStatusCode? StatusCode = null,
    string? ProblemCode = null,
    TlsFailureKind? TlsReason = null,
    int? ExitCode = null,
    string? Fix = null,
    TimeSpan? RetryAfter = null)
{
    /// <summary>True when the agent must stop with <see cref="ExitCode"/> instead of retrying.</summary>
    public bool IsTerminal => ExitCode is not null;
}
