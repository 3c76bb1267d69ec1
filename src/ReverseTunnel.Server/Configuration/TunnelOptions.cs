using ReverseTunnel.Protocol.Multiplexing;

namespace ReverseTunnel.Server.Configuration;

/// <summary>
/// Settings of ws-server, bound from the configuration section <c>Tunnel</c>: command line
/// (<c>--Tunnel:ListenPort=8443</c>), environment (<c>Tunnel__ListenPort=8443</c>) or appsettings.json.
/// Read once at start; changing them needs a restart (the client registry is reloaded live instead).
/// </summary>
public sealed class TunnelOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Tunnel";

    /// <summary>
    /// IP address the HTTPS/WebSocket endpoint listens on. Default <c>0.0.0.0</c> (every IPv4
    /// interface); <c>::</c> listens on every interface (IPv6 and, where the OS allows, IPv4).
    /// Must be an IP literal, not a host name.
    /// </summary>
    public string ListenAddress { get; set; } = "0.0.0.0";

    /// <summary>
    /// TCP port of the HTTPS/WebSocket endpoint. Default 443; range 0..65535, where 0 picks a free
    /// port (the chosen one is logged in the <c>Listening on</c> line).
    /// </summary>
    public int ListenPort { get; set; } = 443;

    /// <summary>
    /// Folder for the generated certificate and the default clients file. Default <c>data</c>,
    /// relative to the current directory; created when missing.
    /// </summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>
    /// PEM file with the server certificate (and its chain). Default none: a self-signed
    /// certificate is generated in <see cref="DataDirectory"/> at first start and reused.
    /// </summary>
    public string? CertificatePath { get; set; }

    /// <summary>
    /// PEM file with the private key of <see cref="CertificatePath"/> (PKCS#8, RSA or EC; unencrypted).
    /// Default none: the key is read from <see cref="CertificatePath"/> itself.
    /// </summary>
    public string? CertificateKeyPath { get; set; }

    /// <summary>
    /// JSON file listing the clients, their tokens and ports. Default <c>{DataDirectory}/clients.json</c>;
    /// created empty when missing. Reloaded on change without a restart.
    /// </summary>
    public string? ClientsFile { get; set; }

    /// <summary>
    /// How often the clients file is checked for changes (content hash), besides the file-system
    /// watcher: a Kubernetes ConfigMap or Secret update swaps a <c>..data</c> symlink, which the
    /// watcher does not report. Default 5 s; range 0..1 h; 0 disables polling (the watcher remains).
    /// </summary>
    public TimeSpan ClientsFilePollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// IP address the tunnel ports are opened on. Default <c>127.0.0.1</c>: tunnels are reachable
    /// from this machine only ("internal network only"). Use a private interface address to serve
    /// other hosts of the internal network; never a public one. The wildcards <c>0.0.0.0</c> and
    /// <c>::</c> are refused; an address that is not loopback, RFC 1918, 100.64.0.0/10, link-local or
    /// IPv6 unique-local is accepted with a warning at start.
    /// </summary>
    public string TunnelBindAddress { get; set; } = "127.0.0.1";

    /// <summary>
    /// Ports agents may open, as a list of ports and ranges such as <c>5000,6000-6010</c>.
    /// Default <c>1024-65535</c>; every value in 1..65535. A client's own port list is checked too.
    /// </summary>
    public string AllowedPorts { get; set; } = "1024-65535";

    /// <summary>
    /// On shutdown, how long open tunnel connections may take to finish before they are reset.
    /// Default 30 s; range 0..10 min.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How often the server pings each agent's WebSocket. Default 15 s; range 00:00:00.100..00:10:00.
    /// With <see cref="KeepAliveTimeout"/> it bounds how long a dead agent (a blackholed connection:
    /// no FIN, no RST) holds its port: about interval + timeout.
    /// </summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long the server waits for the pong of a ping before it drops the agent's connection.
    /// Default 15 s; range 00:00:00.100..00:10:00.
    /// </summary>
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Time a client has to finish the TLS handshake, and then to send the complete request headers of
    /// its upgrade (Kestrel's HTTPS HandshakeTimeout and Limits.RequestHeadersTimeout): a client that
    /// trickles its handshake (slowloris) is disconnected after this. Default 10 s; range 00:00:00.500..00:05:00.
    /// After the upgrade, <c>Session:HelloTimeout</c> bounds the wait for the agent's HELLO.
    /// </summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Failed authentications (401 <c>unknown_token</c>, 400 <c>bad_request</c>) one source address may
    /// make in a burst before its handshakes are refused with 429 <c>too_many_failures</c>. Default 10;
    /// range 1..100,000. Successful handshakes never consume it.
    /// </summary>
    public int AuthFailureBurst { get; set; } = 10;

    /// <summary>
    /// Rate at which a source address earns back failed-authentication allowance (token bucket
    /// refill), per minute. Default 60 (one per second); range 1..60,000.
    /// </summary>
    public int AuthFailuresPerMinute { get; set; } = 60;

    /// <summary>
    /// Agent sessions this server carries at once (pending upgrades included); beyond it, 503
    /// <c>too_many_sessions</c>. Default 1,000; range 1..1,000,000. Bounded together with
    /// <c>Session:SessionWindow</c> by <see cref="MaxBufferedBytes"/>.
    /// </summary>
    public int MaxSessions { get; set; } = 1_000;

    /// <summary>
    /// Sessions one client (one token) may hold at once, over all its ports; beyond it, 429
    /// <c>too_many_client_sessions</c>. Default 64; range 1..100,000.
    /// </summary>
    public int MaxSessionsPerClient { get; set; } = 64;

    /// <summary>
    /// Tunnel connections one session carries at once on the server side; a connection beyond it is
    /// reset at once. Default 16,384; range 1..1,000,000. The agent's own limit (its MAX_STREAMS,
    /// sent in HELLO) applies too: whichever is lower.
    /// </summary>
    public int MaxStreamsPerSession { get; set; } = 16_384;

    /// <summary>
    /// Upper bound of the octets all sessions may make this server buffer: the server refuses to
    /// start unless <see cref="MaxSessions"/> × (<c>Session:SessionWindow</c> + <c>Session:SendQueueLimit</c>)
    /// fits in it. Default 10 GiB (10,737,418,240); range 1 MiB..1 TiB.
    /// </summary>
    public long MaxBufferedBytes { get; set; } = 10L * 1024 * 1024 * 1024;

    /// <summary>
    /// A tunnel connection that moved no octet either way for this long is reset (RESET
    /// <c>Timeout</c> to the agent, RST to the platform's client). Default 0 = off: TCP connections
    /// may legitimately idle for hours. Range 0..7 days; when set, at least 1 s.
    /// </summary>
    public TimeSpan IdleStreamTimeout { get; set; } = TimeSpan.Zero;

    /// <summary>Multiplexing limits and windows of each agent session (section <c>Tunnel:Session</c>).</summary>
    public MuxSessionOptions Session { get; set; } = new();

    /// <summary>The data directory as an absolute path.</summary>
    internal string ResolvedDataDirectory => Path.GetFullPath(DataDirectory);

    /// <summary>The clients file as an absolute path.</summary>
    internal string ResolvedClientsFile => string.IsNullOrWhiteSpace(ClientsFile)
        ? Path.Combine(ResolvedDataDirectory, "clients.json")
        : Path.GetFullPath(ClientsFile);
}
