using ReverseTunnel.Bench.Paths;
using ReverseTunnel.Bench.Report;
using ReverseTunnel.Bench.Targets;

namespace ReverseTunnel.Bench.Figures;

/// <summary>
/// Figures 1 and 6: iperf3 one stream and 8 streams, each direction; CPU seconds per GB of the
/// path's processes over the two one-stream runs.
/// </summary>
internal static class Throughput
{
    private static readonly (Figure Figure, int Streams, bool Reverse)[] Variants =
    [
        (Figure.Iperf1Up, 1, false),
        (Figure.Iperf1Down, 1, true),
        (Figure.Iperf8Up, 8, false),
        (Figure.Iperf8Down, 8, true),
    ];

    public static async Task RunAsync(BenchContext ctx, IReadOnlyList<IForwardingPath> paths)
    {
        foreach ((Figure figure, int streams, bool reverse) in Variants)
        {
            foreach (IForwardingPath path in paths)
            {
                await RunOneAsync(ctx, path, figure, streams, reverse);
            }
        }

        foreach (IForwardingPath path in paths.Where(p => p.Kind != PathKind.Direct))
        {
            CpuTally tally = CpuTally.For(ctx, path);
            if (tally.Bytes > 0)
            {
                double gb = tally.Bytes / 1e9;
                ctx.Results.Add(Figure.CpuServer, path.Kind, tally.ServerSeconds / gb);
                if (path.AgentSide(TargetKind.Iperf).Pids().Count > 0)
                {
                    // HAProxy is one process, counted as the server side: no agent figure.
                    ctx.Results.Add(Figure.CpuAgent, path.Kind, tally.AgentSeconds / gb);
                }

                ctx.Results.Add(Figure.CpuTotal, path.Kind, (tally.ServerSeconds + tally.AgentSeconds) / gb);
            }
        }
    }

    private static async Task RunOneAsync(BenchContext ctx, IForwardingPath path, Figure figure, int streams, bool reverse)
    {
        string what = $"iperf3 -P {streams}{(reverse ? " -R" : "")}";
        ctx.Log($"{what} through {path.Kind.Label()}");
        int readyBefore = ctx.Targets.Iperf.ReadyCount;
        await ctx.MeasureAsync(path, what, async () =>
        {
            double server0 = path.ServerSide.CpuSeconds();
            double agent0 = path.AgentSide(TargetKind.Iperf).CpuSeconds();
            (double gbps, long bytes) = await IperfRun.RunAsync(path.PortFor(TargetKind.Iperf), ctx.Options.IperfSeconds, streams, reverse);
            double server = path.ServerSide.CpuSeconds() - server0;
            double agent = path.AgentSide(TargetKind.Iperf).CpuSeconds() - agent0;
            ctx.Results.Add(figure, path.Kind, gbps);
            if (streams == 1)
            {
                CpuTally.For(ctx, path).Add(bytes, server, agent);
            }
        }, figure);

        await WaitForIperfAsync(ctx, path, what, readyBefore);
    }

    /// <summary>
    /// iperf3 -s serves one test at a time: the next run waits until it has finished this one
    /// (<paramref name="readyBefore"/> is its ready count before the run), and restarts it if it hangs.
    /// </summary>
    public static async Task WaitForIperfAsync(BenchContext ctx, IForwardingPath path, string what, int readyBefore)
    {
        TimeSpan? finished = await ctx.Targets.Iperf.WaitReadyAfterAsync(readyBefore, TimeSpan.FromSeconds(20));
        if (finished is null)
        {
            ctx.Results.Note($"rep {ctx.Rep}, {path.Kind.Label()}, {what}: iperf3 -s still busy 20 s after the client ended; restarted it");
            await ctx.Targets.RestartIperfAsync();
        }
        else if (finished > TimeSpan.FromSeconds(1))
        {
            ctx.Results.Note($"rep {ctx.Rep}, {path.Kind.Label()}, {what}: iperf3 -s was ready for the next test only {finished.Value.TotalSeconds:0.0} s after the client ended");
        }

        await Task.Delay(500);
    }

    /// <summary>CPU seconds and bytes over the one-stream runs of one path in one repetition.</summary>
    private sealed class CpuTally
    {
        private static readonly Dictionary<(int Rep, PathKind Path), CpuTally> Tallies = [];

        public long Bytes { get; private set; }

        public double ServerSeconds { get; private set; }

        public double AgentSeconds { get; private set; }

        public static CpuTally For(BenchContext ctx, IForwardingPath path)
        {
            if (!Tallies.TryGetValue((ctx.Rep, path.Kind), out CpuTally? tally))
            {
                Tallies[(ctx.Rep, path.Kind)] = tally = new CpuTally();
            }

            return tally;
        }

        public void Add(long bytes, double server, double agent)
        {
            Bytes += bytes;
            ServerSeconds += server;
            AgentSeconds += agent;
        }
    }
}
