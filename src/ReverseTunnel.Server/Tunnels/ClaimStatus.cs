namespace ReverseTunnel.Server.Tunnels;

/// <summary>The outcome of asking for a tunnel port.</summary>
public enum ClaimStatus
{
    /// <summary>
    /// The port is the client's: freshly bound, or to be taken over from its previous session once
    /// the new session is activated.
    /// </summary>
    Claimed,

    /// <summary>Another client (another token) serves the port.</summary>
    PortInUse,

    /// <summary>
    /// The same client serves another service (X-Tunnel-Target) on the port with a live session;
    /// <see cref="ClaimResult.CurrentTarget"/> names it.
    /// </summary>
    TargetConflict,

    /// <summary>The port could not be bound; <see cref="ClaimResult.Error"/> has the OS error.</summary>
    PortUnavailable,

    /// <summary>The server is shutting down and takes no new sessions.</summary>
    ShuttingDown,
}
