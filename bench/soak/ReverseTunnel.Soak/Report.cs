using System.Globalization;
using System.Text;

namespace ReverseTunnel.Soak;

/// <summary>Writes the CSV, the plot, and the soak section of docs/reliability.md (between its markers; the rest of the page is left alone).</summary>
internal static class Report
{
    public const string BeginMarker = "<!-- soak-results:begin (written by bench/soak/run.sh) -->";
    public const string EndMarker = "<!-- soak-results:end -->";

    public static void WriteCsv(string path, IEnumerable<Sample> samples)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var csv = new StringBuilder("elapsed_s,utc,process,rss_mib,fds,module_fds,threads,gc_heap_mib\n");
        foreach (Sample s in samples)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{s.ElapsedSeconds:F1},{s.Utc:yyyy-MM-ddTHH:mm:ssZ},{s.Process},{s.RssMiB:F1},{s.Fds},{s.ModuleFds},{s.Threads},{(double.IsNaN(s.GcHeapMiB) ? "" : s.GcHeapMiB.ToString("F1", CultureInfo.InvariantCulture))}\n");
        }

        File.WriteAllText(path, csv.ToString());
    }

    public static IReadOnlyList<TrendRow> Trends(SoakRun run) =>
        [.. run.Processes.SelectMany(p => Metric.All.Select(m => TrendRow.Compute(p, m, run.Samples, run.Options.WarmUp, Idle(run, p, m)))).OfType<TrendRow>()];

    private static (double Before, double After)? Idle(SoakRun run, string process, Metric metric) =>
        metric.JudgedIdle && run.IdleBefore.TryGetValue(process, out var before) && run.IdleAfter.TryGetValue(process, out var after)
            ? metric.Name == "threads" ? (before.Threads, after.Threads) : (before.Fds, after.Fds)
            : null;

    public static void WriteDocSection(SoakRun run, IReadOnlyList<TrendRow> trends)
    {
        SoakOptions o = run.Options;
        string docDirectory = Path.GetDirectoryName(Path.GetFullPath(o.DocPath))!;
        string Link(string path) => Path.GetRelativePath(docDirectory, Path.GetFullPath(path)).Replace('\\', '/');
        string Num(double v) => v.ToString(Math.Abs(v) >= 100 ? "F0" : "0.#", CultureInfo.InvariantCulture);
        bool isFull = o.Minutes >= 30;
        TrendRow[] growing = [.. trends.Where(t => t.Grows)];

        var md = new StringBuilder();
        md.AppendLine(BeginMarker);
        md.AppendLine(CultureInfo.InvariantCulture, $"### Latest soak run: {o.Minutes:0.#} min, {run.StartedUtc:yyyy-MM-dd HH:mm} UTC");
        md.AppendLine();
        if (!isFull)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"> **This is a {o.Minutes:0.#}-minute run, not the 30-minute soak.** It proves that the script works end to end; with a warm-up of {o.WarmUp.TotalSeconds:0} s and a measured window of about {(o.Duration - o.WarmUp).TotalSeconds:0} s, its slopes say little about slow leaks. Run `bench/soak/run.sh` (30 minutes) for the real answer.");
            md.AppendLine();
        }

        md.AppendLine(CultureInfo.InvariantCulture, $"Command: `bench/soak/run.sh --minutes {o.Minutes:0.#}{(o.Clients != 200 ? $" --clients {o.Clients}" : "")}` (Release builds; {Environment.ProcessorCount} cores). Load: {o.Clients} concurrent clients with churn through 3 agents, every transfer checked; warm-up {o.WarmUp.TotalSeconds:0} s; a sample every {o.SampleInterval.TotalSeconds:0} s.");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"- Traffic: {run.TrafficSummary.Split('\n')[0]}.");
        md.AppendLine(CultureInfo.InvariantCulture, $"- Faults injected: {run.Cuts} cuts of agent 0's connection (mid-frame, random direction and offset), {run.AgentKills} SIGKILLs of agent 2 followed by a new agent.");
        md.AppendLine(CultureInfo.InvariantCulture, $"- Rule violations (clean EOF on truncated data, corruption, hangs): **{run.Violations}**. Requests that reached a target truncated: {run.TruncatedAtTargets} ({run.TruncatedDuringAgentKills} of them while agent 2 was being killed: defect D2).");
        md.AppendLine();
        md.AppendLine("| process | resource | start | after warm-up | end | range after warm-up | slope after warm-up | judged on | verdict |");
        md.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---|");
        foreach (TrendRow t in trends)
        {
            string unit = t.Metric.Unit.Length > 0 ? " " + t.Metric.Unit : "";
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {t.Process} | {t.Metric.Name} | {Num(t.Start)}{unit} | {Num(t.AfterWarmUp)}{unit} | {Num(t.End)}{unit} | {Num(t.Min)}–{Num(t.Max)} | {t.SlopePerHour:+0.##;-0.##;0}{unit}/h | {(t.Metric.JudgedIdle ? "idle before → after the load" : "median, middle → last third")}: {Num(t.MiddleLevel)} → {Num(t.LastLevel)} ({t.Growth:+0.##;-0.##;0}){unit} | {(t.Grows ? "**grows**" : "flat")} |");
        }

        string[] missing = [.. run.Processes.SelectMany(p => Metric.All.Where(m => !trends.Any(t => t.Process == p && t.Metric == m)).Select(m => $"{p} {m.Name}"))];
        if (missing.Length > 0)
        {
            md.AppendLine();
            md.AppendLine(CultureInfo.InvariantCulture, $"**Not recorded** (no samples; for the GC heap, dotnet-counters could not attach): {string.Join(", ", missing)}.");
        }

        md.AppendLine();
        md.AppendLine(growing.Length == 0
            ? "**Verdict: no growth after warm-up** in any recorded resource of ws-server or ws-agent. Memory, under load: the time after warm-up is cut in thirds, and RSS or GC heap grows if its median in the last third passes that of the middle third by more than max(8 MiB, 5 %) (GC heap: 10 %). Descriptors and threads follow the connections in flight, so they are judged idle: before the load, and after it once every transfer has ended (allowance: 3 fds, 8 threads). The slope is shown for reading only: over a signal that swings with the load, it depends on where the samples fell."
            : $"**Verdict: growth after warm-up** in {string.Join(", ", growing.Select(g => $"{g.Process} {g.Metric.Name} ({g.Growth:+0.#})"))}.");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"![Soak: RSS, GC heap, fds and threads of ws-server and ws-agent over time]({Link(o.SvgPath)})");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Raw samples: [{Link(o.CsvPath)}]({Link(o.CsvPath)}) (one row per process per sample; `fds` excludes the runtime's descriptors of its own .dll/.pdb/.so files, counted in `module_fds`).");
        md.AppendLine(EndMarker);

        string section = md.ToString();
        string doc = File.Exists(o.DocPath) ? File.ReadAllText(o.DocPath) : "# Reliability\n\n";
        int begin = doc.IndexOf(BeginMarker, StringComparison.Ordinal);
        int end = doc.IndexOf(EndMarker, StringComparison.Ordinal);
        doc = begin >= 0 && end > begin
            ? doc[..begin] + section.TrimEnd('\n') + doc[(end + EndMarker.Length)..]
            : doc.TrimEnd('\n') + "\n\n" + section;
        File.WriteAllText(o.DocPath, doc);
    }
}
