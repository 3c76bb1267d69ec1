namespace ReverseTunnel.Agent.Connection;

/// <summary>Why ws-server could not be reached or refused the tunnel.</summary>
public enum ConnectFailureKind
{
    /// <summary>SERVER_IP_DOMAIN did not resolve.</summary>
    NameResolution,

    /// <summary>Nothing listens at SERVER_IP_DOMAIN:SERVER_PORT, or a firewall rejected the connection.</summary>
    ConnectionRefused,

    /// <summary>Connecting, TLS or the upgrade took longer than allowed (often a firewall dropping packets).</summary>
    Timeout,

    /// <summary>The server's certificate was refused, or the TLS handshake failed.</summary>
    Tls,

    /// <summary>The HTTPS proxy could not be reached or refused the CONNECT.</summary>
    Proxy,

    /// <summary>The server answered the upgrade with an HTTP error (see the status and problem detail).</summary>
    HttpStatus,

    /// <summary>Another network failure (unreachable network, reset, closed mid-handshake).</summary>
    Network,

    /// <summary>The server accepted the upgrade without the reverse-tunnel subprotocol.</summary>
    Protocol,
}
