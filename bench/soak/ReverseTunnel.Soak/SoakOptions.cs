using System.Globalization;

namespace ReverseTunnel.Soak;

/// <summary>The runner's command line (run.sh passes it).</summary>
internal sealed record SoakOptions(
    double Minutes,
    int Clients,
    TimeSpan SampleInterval,
    string CountersTool,
    string CsvPath,
    string SvgPath,
    string DocPath)
{
    /// <summary>The first part of the run, excluded from the slope: JIT, pools, caches and the thread pool find their size.</summary>
    public TimeSpan WarmUp => TimeSpan.FromMinutes(Math.Min(5, Minutes / 4));

    public TimeSpan Duration => TimeSpan.FromMinutes(Minutes);

    /// <summary>A cut on tunnel 0 this often.</summary>
    public TimeSpan CutInterval => TimeSpan.FromSeconds(20);

    /// <summary>Agent 2 killed and replaced this often (at least three times in a run).</summary>
    public TimeSpan AgentKillInterval => TimeSpan.FromMinutes(Math.Min(3, Minutes / 3));

    public static SoakOptions Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            values[args[i].TrimStart('-')] = args[i + 1];
        }

        string Get(string key, string fallback) => values.GetValueOrDefault(key, fallback);
        return new SoakOptions(
            double.Parse(Get("minutes", "30"), CultureInfo.InvariantCulture),
            int.Parse(Get("clients", "200"), CultureInfo.InvariantCulture),
            TimeSpan.FromSeconds(double.Parse(Get("interval", "5"), CultureInfo.InvariantCulture)),
            Get("counters", "dotnet-counters"),
            Get("csv", "bench/soak/results/soak.csv"),
            Get("svg", "docs/reliability-soak.svg"),
            Get("doc", "docs/reliability.md"));
    }
}
