namespace ReverseTunnel.Soak;

/// <summary>
/// A resource that is recorded, how to read it from a sample, how to take its level over a stretch
/// of samples, and how much change after warm-up is still noise.
/// </summary>
/// <remarks>
/// Descriptors and threads follow the connections in flight (0 to 200 under churn): under load a
/// slope or a level depends on where each sample happened to fall. They are judged when idle
/// instead: before the load, and after it once every transfer has ended (<see cref="JudgedIdle"/>).
/// Memory is judged under load, on medians.
/// </remarks>
internal sealed record Metric(string Name, string Unit, Func<Sample, double> Read, Func<double, double> NoiseAllowance, bool JudgedIdle)
{
    public static readonly IReadOnlyList<Metric> All =
    [
        new("RSS", "MiB", s => s.RssMiB, level => Math.Max(8, level * 0.05), JudgedIdle: false),
        new("GC heap", "MiB", s => s.GcHeapMiB, level => Math.Max(8, level * 0.10), JudgedIdle: false),
        new("open fds", "", s => s.Fds, _ => 3, JudgedIdle: true),
        new("threads", "", s => s.Threads, _ => 8, JudgedIdle: true),
    ];

    /// <summary>The median of <paramref name="values"/>.</summary>
    public static double Median(IReadOnlyList<double> values)
    {
        double[] sorted = [.. values.Order()];
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
