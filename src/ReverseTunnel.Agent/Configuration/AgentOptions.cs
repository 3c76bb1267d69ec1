using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using ReverseTunnel.Agent.Connection;

namespace ReverseTunnel.Agent.Configuration;

/// <summary>
/// The validated configuration of one agent. Built by <see cref="AgentOptionsParser"/> from the
/// environment and the command line; every value here has already passed validation.
/// </summary>
/// <remarks>
/// A class rather than a record on purpose: a record's generated <c>ToString</c> would print
/// <see cref="Token"/>, and the token must never reach a log.
/// </remarks>
public sealed class AgentOptions
{
    /// <summary>The path of the tunnel endpoint on ws-server (fixed by the contract).</summary>
    public const string ServerPath = "/tunnel";

    /// <summary>Port the server opens for this tunnel (<c>TUNNEL_PORT</c>, required, 1-65535).</summary>
    public required int TunnelPort { get; init; }

    /// <summary>Host of the local service (<c>CLIENT_SIDE_DOMAIN</c>, required): the only destination ever dialled.</summary>
    public required string TargetHost { get; init; }

    /// <summary>Port of the local service (<c>CLIENT_SIDE_PORT</c>, required, 1-65535).</summary>
    public required int TargetPort { get; init; }

    /// <summary>Host of ws-server (<c>SERVER_IP_DOMAIN</c>, required).</summary>
    public required string ServerHost { get; init; }

    /// <summary>Port of ws-server (<c>SERVER_PORT</c>). Default 443; range 1-65535.</summary>
    public int ServerPort { get; init; } = 443;

    /// <summary>The token (<c>CLIENT_UUID</c>, required). Sent only in the Authorization header; never logged.</summary>
    public required string Token { get; init; }

    /// <summary>Path of the CA bundle (<c>CA_FILE</c>); null when unset. Default: none (system store only).</summary>
    public string? CaFile { get; init; }

    /// <summary>
    /// CA certificates from <see cref="CaFile"/>, trusted in addition to the system store. Empty when
    /// <see cref="CaFile"/> is unset.
    /// </summary>
    public X509Certificate2Collection CaCertificates { get; init; } = [];

    /// <summary>
    /// SHA-256 of the server certificate's DER encoding (<c>PINNED_CERT_SHA256</c>), 32 bytes; null when
    /// unset. When set, only that certificate is accepted, whatever its chain or name.
    /// </summary>
    public byte[]? PinnedCertSha256 { get; init; }

    /// <summary>True turns TLS verification off (<c>INSECURE_SKIP_VERIFY</c>). Default false.</summary>
    public bool InsecureSkipVerify { get; init; }

    /// <summary>HTTP CONNECT proxy (<c>HTTPS_PROXY</c>/<c>https_proxy</c>/<c>--proxy</c>); null connects directly. Default: none.</summary>
    public Uri? Proxy { get; init; }

    /// <summary>Hosts that bypass <see cref="Proxy"/> (<c>NO_PROXY</c>/<c>no_proxy</c>). Default: empty.</summary>
    public NoProxyList NoProxy { get; init; } = NoProxyList.Empty;

    /// <summary>Minimum log level (<c>LOG_LEVEL</c>). Default <see cref="LogLevel.Information"/>.</summary>
    public LogLevel LogLevel { get; init; } = LogLevel.Information;

    /// <summary>Time allowed to connect to the local service (<c>DIAL_TIMEOUT_SECONDS</c>). Default 10 s; range 1-300 s.</summary>
    public TimeSpan DialTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// WebSocket keep-alive (<c>KEEPALIVE_SECONDS</c>): ping interval and pong timeout alike, so a dead
    /// server (or a blackholed path) is noticed within about twice this. Default 15 s; range 2-300 s.
    /// </summary>
    public TimeSpan KeepAlive { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Streams (tunnelled connections) the server may have open on this agent at once
    /// (<c>MAX_STREAMS</c>), sent to the server in HELLO: an OPEN beyond it is refused with RESET
    /// RefusedStream before anything is dialled. Default 16,384 (the server's default per-session cap; 10,000 idle connections through one agent must fit); range 1-65,536.
    /// </summary>
    public int MaxStreams { get; init; } = 16_384;

    /// <summary>
    /// A tunnelled connection that moved no octet either way for this long is reset
    /// (<c>IDLE_STREAM_TIMEOUT_SECONDS</c>). Default zero = off (TCP may idle for hours); range 0-604,800 s.
    /// </summary>
    public TimeSpan IdleStreamTimeout { get; init; } = TimeSpan.Zero;

    /// <summary>Cap of the reconnect backoff (<c>RECONNECT_MAX_DELAY_SECONDS</c>). Default 30 s; range 30-60 s.</summary>
    public TimeSpan ReconnectMaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Time allowed for TCP connect, TLS and the WebSocket upgrade to ws-server. Default 15 s. Not a
    /// variable: it only needs changing in tests.
    /// </summary>
    public TimeSpan ServerConnectTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Time open streams get to finish when the agent stops. Default 7 s: docker stop sends SIGKILL
    /// 10 s after SIGTERM, and the close after the drain needs time too (see <see cref="StopTimeout"/>).
    /// </summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(7);

    /// <summary>
    /// Bound on the whole stop path, from the signal to the session's end: drain, GOAWAY, close
    /// handshake. When it runs out (the server does not answer the close) the connection is
    /// dropped. Default 8.5 s, under docker's 10 s grace; must exceed <see cref="DrainTimeout"/>.
    /// </summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(8.5);

    /// <summary>A session that lasted this long resets the backoff (how many streams it carried does not count). Default 30 s.</summary>
    public TimeSpan HealthySessionDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary><c>wss://SERVER_IP_DOMAIN:SERVER_PORT/tunnel</c>.</summary>
    public Uri ServerUri => new UriBuilder(Uri.UriSchemeWss, ServerHost, ServerPort, ServerPath).Uri;

    /// <summary>The server URL as logged, always with the port: <c>wss://host:port/tunnel</c>.</summary>
    public string ServerUrl => $"wss://{(ServerHost.Contains(':', StringComparison.Ordinal) ? $"[{ServerHost}]" : ServerHost)}:{ServerPort}{ServerPath}";

    /// <summary><c>CLIENT_SIDE_DOMAIN:CLIENT_SIDE_PORT</c> as sent in X-Tunnel-Target and shown in logs.</summary>
    public string Target => TargetHost.Contains(':', StringComparison.Ordinal) ? $"[{TargetHost}]:{TargetPort}" : $"{TargetHost}:{TargetPort}";
}
