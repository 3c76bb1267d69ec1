namespace ReverseTunnel.Reliability.Tests.Traffic;

/// <summary>One transfer: its kind, its length and the seed of its bytes (<see cref="Pattern"/>).</summary>
public sealed record TransferSpec(TransferKind Kind, long Length, ulong Seed)
{
    public override string ToString() => $"{Kind} {Length} B (seed {Seed})";
}
