using ReverseTunnel.Bench.Infra;
using ReverseTunnel.Bench.Paths;
using ReverseTunnel.Bench.Report;
using ReverseTunnel.Bench.Targets;

namespace ReverseTunnel.Bench.Figures;

/// <summary>
/// Figures 3 and 4: wrk against nginx's 1 KiB file, keep-alive (-t2 -c64, req/s and p99) and one
/// request per connection (-t2 -c32 with Connection: close, req/s = new connections per second).
/// With each: the CPU time of the path's two ends per request, how busy the machine's CPUs were,
/// and the kernel's CPU time per request on the whole machine (wrk and nginx included: direct's
/// figure is what they cost, the rest is what the path adds). On loopback every process shares
/// the same cores, so requests per second is the product of both: what the tunnel costs, and how
/// much of the machine the chain of processes keeps busy.
/// </summary>
internal static class HttpLoad
{
    public static async Task RunAsync(BenchContext ctx, IReadOnlyList<IForwardingPath> paths)
    {
        foreach (IForwardingPath path in paths)
        {
            await RunOneAsync(ctx, path, keepAlive: true);
        }

        foreach (IForwardingPath path in paths)
        {
            await RunOneAsync(ctx, path, keepAlive: false);
        }
    }

    private static async Task RunOneAsync(BenchContext ctx, IForwardingPath path, bool keepAlive)
    {
        string what = keepAlive ? "wrk keep-alive" : "wrk Connection: close";
        ctx.Log($"{what} through {path.Kind.Label()}");
        int seconds = ctx.Options.WrkSeconds;
        var args = new List<string> { "-t2", keepAlive ? "-c64" : "-c32", $"-d{seconds}s", "--latency" };
        if (!keepAlive)
        {
            args.AddRange(["-H", "Connection: close"]);
        }

        args.Add($"http://127.0.0.1:{path.PortFor(TargetKind.Http)}{NginxTarget.Resource}");
        Figure[] figures = keepAlive ? [Figure.HttpRps, Figure.HttpP99, Figure.HttpCpu, Figure.HttpBusy, Figure.HttpKernel]
            : [Figure.NewConns, Figure.NewConnCpu, Figure.NewConnBusy, Figure.NewConnKernel];
        await ctx.MeasureAsync(path, what, async () =>
        {
            double cpu0 = path.ServerSide.CpuSeconds() + path.AgentSide(TargetKind.Http).CpuSeconds();
            MachineTicks machine0 = ProcStats.ReadMachineTicks();
            var (code, stdout, output) = await ToolProcess.RunAsync("wrk", args, TimeSpan.FromSeconds(seconds + 30));
            MachineTicks machine = ProcStats.ReadMachineTicks() - machine0;
            double cpu = path.ServerSide.CpuSeconds() + path.AgentSide(TargetKind.Http).CpuSeconds() - cpu0;
            if (code != 0)
            {
                throw new InvalidOperationException($"wrk exited with {code}: {output}");
            }

            WrkOutput wrk = WrkOutput.Parse(stdout);
            if (wrk.Requests == 0)
            {
                throw new InvalidOperationException($"wrk completed no request: {output}");
            }

            if (wrk.Errors is not null)
            {
                ctx.Results.Note($"rep {ctx.Rep}, {path.Kind.Label()}, {what}: {wrk.Errors} (of {wrk.Requests} requests)");
            }

            ctx.Results.Add(keepAlive ? Figure.HttpRps : Figure.NewConns, path.Kind, wrk.RequestsPerSecond);
            if (keepAlive)
            {
                ctx.Results.Add(Figure.HttpP99, path.Kind, wrk.P99Milliseconds);
            }

            if (path.Kind != PathKind.Direct)
            {
                ctx.Results.Add(keepAlive ? Figure.HttpCpu : Figure.NewConnCpu, path.Kind, cpu * 1e6 / wrk.Requests);
            }

            if (machine.Total > 0)
            {
                ctx.Results.Add(keepAlive ? Figure.HttpBusy : Figure.NewConnBusy, path.Kind, 100.0 * machine.Busy / machine.Total);
                ctx.Results.Add(keepAlive ? Figure.HttpKernel : Figure.NewConnKernel, path.Kind,
                    ProcStats.TicksToSeconds(machine.Kernel) * 1e6 / wrk.Requests);
            }
        }, figures);
        await Task.Delay(1000);
    }
}
