using System.Text;

namespace ReverseTunnel.Bench.Report;

/// <summary>Writes benchmarks.md (table, machine, command, chart link, method) and benchmarks.svg.</summary>
internal static class ReportWriter
{
    public static string Write(BenchOptions o, MachineInfo machine, Results results, TimeSpan took)
    {
        Directory.CreateDirectory(o.OutputDirectory);
        File.WriteAllText(Path.Combine(o.OutputDirectory, "benchmarks.svg"), SvgChart.Render(results, o.Reps));
        var md = new StringBuilder();
        md.AppendLine("# Benchmarks: the tunnel beside direct TCP and OpenSSH remote forwarding");
        md.AppendLine();
        md.AppendLine("Written by the bench (`bench/ReverseTunnel.Bench`); the targets are those of issue 3. How each figure is measured: [Benchmark](#benchmark).");
        md.AppendLine();
        md.AppendLine($"- Date: {machine.Date}");
        md.AppendLine($"- Machine: {machine.Describe()}; at end {string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3))}");
        md.AppendLine($"- Command: `bash bench/run.sh{(o.Smoke ? " --smoke" : "")}{(o.Reps != (o.Smoke ? 1 : 3) ? $" --reps {o.Reps}" : "")}` ({o.Reps} repetition(s); the bench took {took.TotalMinutes:0.0} min after the build)");
        md.AppendLine();
        md.AppendLine("![Throughput, req/s and new connections/s relative to direct](benchmarks.svg)");
        md.AppendLine();
        md.AppendLine("[Chart: benchmarks.svg](benchmarks.svg)");
        md.AppendLine();
        md.AppendLine("## Results");
        md.AppendLine();
        md.AppendLine(MarkdownTable.Render(results, o.IdleConnections));
        AppendList(md, "Failures", results.Failures);
        AppendList(md, "Notes", results.Notes);
        md.AppendLine(MethodText.Render(o));
        string path = Path.Combine(o.OutputDirectory, "benchmarks.md");
        File.WriteAllText(path, md.ToString());
        return path;
    }

    private static void AppendList(StringBuilder md, string heading, IReadOnlyList<string> items)
    {
        if (items.Count == 0)
        {
            return;
        }

        md.AppendLine($"### {heading}");
        md.AppendLine();
        foreach (string item in items)
        {
            md.AppendLine($"- {item.Replace('\n', ' ')}");
        }

        md.AppendLine();
    }
}
