namespace ReverseTunnel.Soak;

/// <summary>
/// One resource of one process over the run: its value at the start, once warm-up is over and at
/// the end, its range after warm-up, and the least-squares slope after warm-up (per hour) with the
/// growth that slope means over the measured window. <see cref="Grows"/> when that growth is more
/// than the metric's noise allowance.
/// </summary>
internal sealed record TrendRow(string Process, Metric Metric, double Start, double AfterWarmUp, double End, double Min, double Max, double SlopePerHour, double WindowGrowth, bool Grows)
{
    public static TrendRow? Compute(string process, Metric metric, IEnumerable<Sample> samples, TimeSpan warmUp)
    {
        (double T, double V)[] points = [.. samples.Where(s => s.Process == process)
            .Select(s => (T: s.ElapsedSeconds, V: metric.Read(s)))
            .Where(p => !double.IsNaN(p.V))];
        (double T, double V)[] steady = [.. points.Where(p => p.T >= warmUp.TotalSeconds)];
        if (steady.Length < 2)
        {
            return null;
        }

        double meanT = steady.Average(p => p.T);
        double meanV = steady.Average(p => p.V);
        double covariance = steady.Sum(p => (p.T - meanT) * (p.V - meanV));
        double variance = steady.Sum(p => (p.T - meanT) * (p.T - meanT));
        double slopePerSecond = variance == 0 ? 0 : covariance / variance;
        double window = steady[^1].T - steady[0].T;
        double growth = slopePerSecond * window;
        return new TrendRow(process, metric, points[0].V, steady[0].V, points[^1].V, steady.Min(p => p.V), steady.Max(p => p.V),
            slopePerSecond * 3600, growth, growth > metric.NoiseAllowance(meanV));
    }
}
