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
            await StartPathAsync(ctx, paths, PathKind.Tunnel, async () => await TunnelPath.StartAsync(ctx.Targets.Ports));
            await StartPathAsync(ctx, paths, PathKind.SshN, async () => await SshPath.StartAsync(PathKind.SshN, ctx.Targets.Ports));
            await StartPathAsync(ctx, paths, PathKind.SshTt, async () => await SshPath.StartAsync(PathKind.SshTt, ctx.Targets.Ports));
            await StartPathAsync(ctx, paths, PathKind.Haproxy,
                async () => await HaproxyPath.StartAsync(ctx.Targets.Ports, ctx.Options.IdleConnections + 1_000));
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

    private static async Task StartPathAsync(BenchContext ctx, List<IForwardingPath> paths, PathKind kind, Func<Task<IForwardingPath>> start)
    {
        try
        {
            paths.Add(await start());
        }
        catch (Exception e)
        {
            ctx.Log($"FAILED to start {kind.Label()}: {e}");
            foreach (FigureInfo figure in FigureCatalog.All.Where(f => !(kind == PathKind.Tunnel && f.Id is Figure.IdleRssServer or Figure.IdleRssAgent)))
            {
                ctx.Results.Fail(figure.Id, kind, $"rep {ctx.Rep}: could not start: {e.Message.Split('\n')[0]}");
            }
        }
    }

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
