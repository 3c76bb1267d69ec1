namespace ReverseTunnel.Agent.Configuration;

/// <summary>Every setting the agent reads, in the order <c>--help</c> lists them.</summary>
public static class AgentSettings
{
    /// <summary>The port the server opens for this tunnel.</summary>
    public static readonly AgentSetting TunnelPort = new(
        "TUNNEL_PORT", "--tunnel-port", "Port (1-65535) the server opens for this tunnel.", null);

    /// <summary>The local service's host.</summary>
    public static readonly AgentSetting ClientSideDomain = new(
        "CLIENT_SIDE_DOMAIN", "--client-side-domain", "Host name or IP of the service the tunnel reaches (the only destination the agent ever dials).", null);

    /// <summary>The local service's port.</summary>
    public static readonly AgentSetting ClientSidePort = new(
        "CLIENT_SIDE_PORT", "--client-side-port", "Port (1-65535) of the service the tunnel reaches.", null);

    /// <summary>The server's host.</summary>
    public static readonly AgentSetting ServerIpDomain = new(
        "SERVER_IP_DOMAIN", "--server-ip-domain", "Host name or IP of ws-server (no scheme, no port).", null);

    /// <summary>The token.</summary>
    public static readonly AgentSetting ClientUuid = new(
        "CLIENT_UUID", "--client-uuid", "Token that authenticates this agent; prefer the variable, a flag is visible to other local users.", null);

    /// <summary>The server's port.</summary>
    public static readonly AgentSetting ServerPort = new(
        "SERVER_PORT", "--server-port", "Port (1-65535) of ws-server.", "443");

    /// <summary>Extra trusted CAs.</summary>
    public static readonly AgentSetting CaFile = new(
        "CA_FILE", "--ca-file", "PEM file of CA certificates trusted for the server's certificate, in addition to the system store.", "none");

    /// <summary>Certificate pin.</summary>
    public static readonly AgentSetting PinnedCertSha256 = new(
        "PINNED_CERT_SHA256", "--pinned-cert-sha256", "SHA-256 fingerprint of the server certificate (64 hex digits, colons allowed); when set only that certificate is accepted, even self-signed.", "none");

    /// <summary>Turns TLS verification off.</summary>
    public static readonly AgentSetting InsecureSkipVerify = new(
        "INSECURE_SKIP_VERIFY", "--insecure-skip-verify", "true turns off TLS certificate verification (for tests only; logs a warning at every connection).", "false", IsFlagOnly: true);

    /// <summary>HTTP CONNECT proxy.</summary>
    public static readonly AgentSetting Proxy = new(
        "HTTPS_PROXY", "--proxy", "HTTP CONNECT proxy for the connection to ws-server, e.g. http://proxy:3128 (user:password@ allowed).", "none", "https_proxy");

    /// <summary>Proxy bypass list.</summary>
    public static readonly AgentSetting NoProxy = new(
        "NO_PROXY", "--no-proxy", "Comma-separated hosts that bypass the proxy: names (also match subdomains), .suffix, *, host:port, IPs, CIDR.", "none", "no_proxy");

    /// <summary>Minimum log level.</summary>
    public static readonly AgentSetting LogLevel = new(
        "LOG_LEVEL", "--log-level", "Trace, Debug, Information, Warning, Error, Critical or None.", "Information");

    /// <summary>Time allowed to connect to the local service.</summary>
    public static readonly AgentSetting DialTimeoutSeconds = new(
        "DIAL_TIMEOUT_SECONDS", "--dial-timeout-seconds", "Seconds (1-300) allowed to connect to CLIENT_SIDE_DOMAIN:CLIENT_SIDE_PORT for each tunnelled connection.", "10");

    /// <summary>Cap of the reconnect backoff.</summary>
    public static readonly AgentSetting ReconnectMaxDelaySeconds = new(
        "RECONNECT_MAX_DELAY_SECONDS", "--reconnect-max-delay-seconds", "Longest wait (30-60 s) between reconnect attempts; waits grow from 1 s, doubling, with jitter.", "30");

    /// <summary>WebSocket keep-alive interval and timeout.</summary>
    public static readonly AgentSetting KeepAliveSeconds = new(
        "KEEPALIVE_SECONDS", "--keepalive-seconds", "Seconds (2-300) between WebSocket pings, and allowed for each pong; a dead connection to ws-server is noticed in about twice this.", "15");

    /// <summary>Concurrent streams the server may open.</summary>
    public static readonly AgentSetting MaxStreams = new(
        "MAX_STREAMS", "--max-streams", "Connections (1-65536) the tunnel may carry at once; more are refused at once, before any dial.", "16384");

    /// <summary>Idle stream timeout.</summary>
    public static readonly AgentSetting IdleStreamTimeoutSeconds = new(
        "IDLE_STREAM_TIMEOUT_SECONDS", "--idle-stream-timeout-seconds", "Seconds (0-604800) after which a tunnelled connection that moved no data either way is reset; 0 = never (TCP may idle for hours).", "0");

    /// <summary>All settings, in help order.</summary>
    public static IReadOnlyList<AgentSetting> All { get; } =
    [
        TunnelPort, ClientSideDomain, ClientSidePort, ServerIpDomain, ClientUuid, ServerPort, CaFile, PinnedCertSha256,
        InsecureSkipVerify, Proxy, NoProxy, LogLevel, DialTimeoutSeconds, ReconnectMaxDelaySeconds,
        KeepAliveSeconds, MaxStreams, IdleStreamTimeoutSeconds,
    ];
}
