namespace ReverseTunnel.Soak;

/// <summary>A resource that is recorded, how to read it from a sample, and how much change after warm-up is still noise.</summary>
internal sealed record Metric(string Name, string Unit, Func<Sample, double> Read, Func<double, double> NoiseAllowance)
{
    public static readonly IReadOnlyList<Metric> All =
    [
        new("RSS", "MiB", s => s.RssMiB, level => Math.Max(8, level * 0.05)),
        new("GC heap", "MiB", s => s.GcHeapMiB, level => Math.Max(8, level * 0.10)),
        new("open fds", "", s => s.Fds, _ => 3),
        new("threads", "", s => s.Threads, _ => 4),
    ];
}
