namespace ReverseTunnel.Server.Tunnels;

/// <summary>The outcome of <see cref="TunnelManager.TryClaim"/>.</summary>
/// <param name="Status">What happened.</param>
/// <param name="Lease">The lease when <see cref="ClaimStatus.Claimed"/>.</param>
/// <param name="Error">The OS error when <see cref="ClaimStatus.PortUnavailable"/>.</param>
/// <param name="Replaced">True when the client's previous session was replaced.</param>
public sealed record ClaimResult(ClaimStatus Status, TunnelLease? Lease = null, string? Error = null, bool Replaced = false);
