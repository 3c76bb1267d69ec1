namespace ReverseTunnel.Reliability.Tests.Faults;

/// <summary>
/// The steady faults of one direction: every chunk is held for <see cref="Latency"/> plus or minus
/// up to <see cref="Jitter"/> (order is kept, as on one TCP path), and forwarded at no more than
/// <see cref="BytesPerSecond"/> (0 = unlimited).
/// </summary>
public sealed record FaultSettings(TimeSpan Latency = default, TimeSpan Jitter = default, long BytesPerSecond = 0)
{
    /// <summary>A clean path.</summary>
    public static readonly FaultSettings None = new();
}
