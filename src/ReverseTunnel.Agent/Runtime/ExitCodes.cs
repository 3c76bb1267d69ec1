namespace ReverseTunnel.Agent.Runtime;

/// <summary>The agent's exit codes (documented in the README and <c>--help</c>).</summary>
public static class ExitCodes
{
    /// <summary>Stopped by a signal (SIGTERM, SIGINT): a normal stop.</summary>
    public const int Stopped = 0;

    /// <summary>An unexpected error; the log says what.</summary>
    public const int UnexpectedError = 1;

    /// <summary>The configuration is invalid; the log lists every problem.</summary>
    public const int ConfigurationInvalid = 2;

    /// <summary>The server does not know the token (401 with problem code <c>unknown_token</c>).</summary>
    public const int TokenRejected = 3;

    /// <summary>The token may not use TUNNEL_PORT (403 with problem code <c>port_not_allowed</c>).</summary>
    public const int PortNotAllowed = 4;

    /// <summary>Another client serves TUNNEL_PORT (409 port_in_use).</summary>
    public const int PortInUse = 5;

    /// <summary>The server speaks another protocol version (426 with problem code <c>protocol_version_mismatch</c>).</summary>
    public const int ProtocolVersionMismatch = 6;
}
