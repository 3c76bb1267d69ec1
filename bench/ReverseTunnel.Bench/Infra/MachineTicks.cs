namespace ReverseTunnel.Bench.Infra;

/// <summary>Clock ticks of all CPUs together, from /proc/stat: busy, the kernel's part of busy, and in total.</summary>
internal readonly record struct MachineTicks(long Busy, long Kernel, long Total)
{
    public static MachineTicks operator -(MachineTicks a, MachineTicks b) =>
        new(a.Busy - b.Busy, a.Kernel - b.Kernel, a.Total - b.Total);
}
