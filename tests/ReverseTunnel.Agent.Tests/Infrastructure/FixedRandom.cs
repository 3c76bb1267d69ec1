namespace ReverseTunnel.Agent.Tests.Infrastructure;

/// <summary>A <see cref="Random"/> whose <see cref="NextDouble"/> always returns the same value, to pin jitter.</summary>
public sealed class FixedRandom(double value) : Random
{
    /// <inheritdoc />
    public override double NextDouble() => value;
}
