namespace ReverseTunnel.Soak;

/// <summary>
/// One resource of one process over the run: its value at the start, once warm-up is over and at
/// the end, its range after warm-up, the least-squares slope after warm-up (per hour, for reading),
/// and the verdict. Memory: the time after warm-up is cut in thirds, and <see cref="Grows"/> when
/// the median of the last third exceeds that of the middle third by more than the metric's noise
/// allowance (the first third is left out: memory may still be settling). Descriptors and threads
/// (<see cref="Metric.JudgedIdle"/>): the idle value after the load against the one before it.
/// </summary>
internal sealed record TrendRow(string Process, Metric Metric, double Start, double AfterWarmUp, double End, double Min, double Max,
    double SlopePerHour, double MiddleLevel, double LastLevel, bool Grows)
{
    public double Growth => LastLevel - MiddleLevel;

    public static TrendRow? Compute(string process, Metric metric, IEnumerable<Sample> samples, TimeSpan warmUp, (double Before, double After)? idle)
    {
        (double T, double V)[] points = [.. samples.Where(s => s.Process == process)
            .Select(s => (T: s.ElapsedSeconds, V: metric.Read(s)))
            .Where(p => !double.IsNaN(p.V))];
        (double T, double V)[] steady = [.. points.Where(p => p.T >= warmUp.TotalSeconds)];
        if (steady.Length < 3)
        {
            return null;
        }

        double meanT = steady.Average(p => p.T);
        double meanV = steady.Average(p => p.V);
        double covariance = steady.Sum(p => (p.T - meanT) * (p.V - meanV));
        double variance = steady.Sum(p => (p.T - meanT) * (p.T - meanT));
        double slopePerSecond = variance == 0 ? 0 : covariance / variance;

        double from = steady[0].T;
        double third = (steady[^1].T - from) / 3;
        double[] middle = [.. steady.Where(p => p.T >= from + third && p.T < from + 2 * third).Select(p => p.V)];
        double[] last = [.. steady.Where(p => p.T >= from + 2 * third).Select(p => p.V)];
        if (middle.Length == 0 || last.Length == 0)
        {
            return null;
        }

        (double middleLevel, double lastLevel) = metric.JudgedIdle && idle is { } i
            ? (i.Before, i.After)
            : (Metric.Median(middle), Metric.Median(last));
        return new TrendRow(process, metric, points[0].V, steady[0].V, points[^1].V, steady.Min(p => p.V), steady.Max(p => p.V),
            slopePerSecond * 3600, middleLevel, lastLevel, lastLevel - middleLevel > metric.NoiseAllowance(middleLevel));
    }
}
