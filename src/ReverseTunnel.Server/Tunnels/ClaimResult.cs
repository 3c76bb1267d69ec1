namespace ReverseTunnel.Server.Tunnels;

/// <summary>The outcome of <see cref="TunnelManager.TryClaim"/>.</summary>
/// <param name="Status">What happened.</param>
/// <param name="Lease">The lease when <see cref="ClaimStatus.Claimed"/>.</param>
/// <param name="Error">The OS error when <see cref="ClaimStatus.PortUnavailable"/>.</param>
/// <param name="CurrentTarget">The target the port serves when <see cref="ClaimStatus.TargetConflict"/>.</param>
public sealed record ClaimResult(ClaimStatus Status, TunnelLease? Lease = null, string? Error = null, string? CurrentTarget = null);
