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

    /// <summary>Multiplexing limits and windows of each agent session (section <c>Tunnel:Session</c>).</summary>
    public MuxSessionOptions Session { get; set; } = new();

    /// <summary>The data directory as an absolute path.</summary>
    internal string ResolvedDataDirectory => Path.GetFullPath(DataDirectory);

    /// <summary>The clients file as an absolute path.</summary>
    internal string ResolvedClientsFile => string.IsNullOrWhiteSpace(ClientsFile)
        ? Path.Combine(ResolvedDataDirectory, "clients.json")
        : Path.GetFullPath(ClientsFile);
}
