namespace ReverseTunnel.Server.Endpoints;

/// <summary>
/// A refused handshake, sent as RFC 9457 problem JSON with a stable <see cref="Code"/> that ws-agent
/// maps to its exit codes. <see cref="Detail"/> tells the operator what to do and never holds a token.
/// </summary>
/// <param name="Status">HTTP status code.</param>
/// <param name="Code">Machine-readable code, such as <c>unknown_token</c>.</param>
/// <param name="Title">Short summary of the kind of problem.</param>
/// <param name="Detail">What went wrong in this request and how to fix it.</param>
/// <param name="RetryAfterSeconds">The <c>Retry-After</c> header, in seconds; null for none (a 503 then gets 5).</param>
public sealed record TunnelProblem(int Status, string Code, string Title, string Detail, int? RetryAfterSeconds = null)
{
    /// <summary>Base of the <c>type</c> URI; the code is appended.</summary>
    public const string TypeBase = "https://reverse-tunnel.dev/errors/";

    /// <summary>The <c>type</c> member: a URI naming the problem.</summary>
    public string Type => TypeBase + Code;
}
