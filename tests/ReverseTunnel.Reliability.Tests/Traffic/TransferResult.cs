namespace ReverseTunnel.Reliability.Tests.Traffic;

/// <summary>What one transfer came to; <see cref="BytesChecked"/> counts octets whose SHA-256 was verified.</summary>
public sealed record TransferResult(TransferSpec Spec, TransferOutcome Outcome, long BytesReceived, long BytesChecked, TimeSpan Elapsed, string? Detail = null)
{
    /// <summary>The tunnel port the transfer went through.</summary>
    public int Port { get; init; }

    /// <summary>True for the outcomes the tunnel promises: complete and intact, or a visible failure.</summary>
    public bool IsAllowed => Outcome is TransferOutcome.Completed or TransferOutcome.Reset or TransferOutcome.Refused;

    public override string ToString() => $"{Spec} via port {Port}: {Outcome} after {Elapsed.TotalSeconds:F1} s, {BytesReceived} B received{(Detail is null ? "" : ": " + Detail)}";
}
