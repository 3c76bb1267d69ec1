using System.Diagnostics;
using ReverseTunnel.Bench.Figures;
using ReverseTunnel.Bench.Infra;
using ReverseTunnel.Bench.Paths;
using ReverseTunnel.Bench.Report;
using ReverseTunnel.Bench.Targets;

namespace ReverseTunnel.Bench;

/// <summary>
/// One run: the targets once, then per repetition fresh paths (direct, tunnel, ssh -N, ssh -tt, and
/// HAProxy as a reference) and every figure on all of them, then the long-link figure on its own
/// paths; then the table, and in full mode docs/benchmarks.md and .svg.
/// </summary>
internal sealed class BenchRunner(BenchOptions options)
{
    public async Task<int> RunAsync()
    {
        var clock = Stopwatch.StartNew();
        Prerequisites.Check(options.IdleConnections);
        MachineInfo machine = await MachineInfo.ReadAsync(options.RepositoryRoot);
        Console.WriteLine($"bench: {(options.Smoke ? "smoke" : "full")} mode, {options.Reps} repetition(s); {machine.Describe()}");
        Console.WriteLine($"bench: ws-server {ReverseTunnel.EndToEnd.Tests.Harness.ChildProcess.DllPath("ServerDll")}");
        Console.WriteLine($"bench: ws-agent {TunnelPath.AgentProgram}");

        var results = new Results();
        await using (TargetSet targets = await TargetSet.StartAsync())
        {
            var ctx = new BenchContext(options, targets, results);
            for (int rep = 1; rep <= options.Reps; rep++)
            {
                ctx.Rep = rep;
                await RunRepetitionAsync(ctx);
            }
        }

        string table = MarkdownTable.Render(results, options.IdleConnections);
        Console.WriteLine();
        Console.WriteLine(table);
        Print("Failures", results.Failures);
        Print("Notes", results.Notes);
        string report = ReportWriter.Write(options, machine, results, clock.Elapsed);
        Console.WriteLine($"bench: report written to {report} (and benchmarks.svg beside it); took {clock.Elapsed.TotalMinutes:0.0} min");
        if (results.Failures.Count > 0)
        {
            Console.WriteLine($"bench: {results.Failures.Count} measurement(s) failed");
            return 1;
        }

        return 0;
    }

    private static async Task RunRepetitionAsync(BenchContext ctx)
    {
        ctx.Log("starting");
        await IdleRss.MeasureFreshTunnelAsync(ctx);
        var paths = new List<IForwardingPath> { new DirectPath(ctx.Targets.Ports) };
        try
        {
            await ctx.StartPathAsync(paths, PathKind.Tunnel, async () => await TunnelPath.StartAsync(ctx.Targets.Ports), FiguresFor(PathKind.Tunnel));
            await ctx.StartPathAsync(paths, PathKind.SshN, async () => await SshPath.StartAsync(PathKind.SshN, ctx.Targets.Ports), FiguresFor(PathKind.SshN));
            await ctx.StartPathAsync(paths, PathKind.SshTt, async () => await SshPath.StartAsync(PathKind.SshTt, ctx.Targets.Ports), FiguresFor(PathKind.SshTt));
            await ctx.StartPathAsync(paths, PathKind.Haproxy,
                async () => await HaproxyPath.StartAsync(ctx.Targets.Ports, ctx.Options.IdleConnections + 1_000), FiguresFor(PathKind.Haproxy));
            await IdleRss.MeasureSshAsync(ctx, paths);
            await WarmUp.RunAsync(ctx, paths);
            await Throughput.RunAsync(ctx, paths);
            await PingPong.RunAsync(ctx, paths);
            await HttpLoad.RunAsync(ctx, paths);
            await IdleConnections.RunAsync(ctx, paths);
        }
        finally
        {
            foreach (IForwardingPath path in paths)
            {
                await path.DisposeAsync();
            }
        }

        await LongLink.RunAsync(ctx);
    }

    /// <summary>
    /// The figures a path that could not start fails: all but the long link's (measured on paths of
    /// its own) and, for the tunnel, the idle RSS (measured on a tunnel of its own).
    /// </summary>
    private static IEnumerable<Figure> FiguresFor(PathKind kind) => FigureCatalog.All
        .Select(f => f.Id)
        .Where(f => f is not (Figure.LongLinkUp or Figure.LongLinkDown))
        .Where(f => !(kind == PathKind.Tunnel && f is Figure.IdleRssServer or Figure.IdleRssAgent));

    private static void Print(string heading, IReadOnlyList<string> items)
    {
        if (items.Count > 0)
        {
            Console.WriteLine($"{heading}:");
            foreach (string item in items)
            {
                Console.WriteLine($"- {item}");
            }

            Console.WriteLine();
        }
    }
}
