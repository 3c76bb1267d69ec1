using ReverseTunnel.Bench.Infra;
using ReverseTunnel.Bench.Paths;
using ReverseTunnel.Bench.Report;
using ReverseTunnel.Bench.Targets;

namespace ReverseTunnel.Bench.Figures;

/// <summary>
/// One iperf3 stream each way over a long link: a <see cref="DelayRelay"/> holds every octet 25 ms
/// each way between the agent and ws-server, and between ssh and sshd. Not a target of issue 3; it
/// shows what the windows do when the customer is far away: a fixed window moves at most window ÷
/// round trip. There is no direct figure: TCP through the relay sees loopback at either end, so it
/// would measure only the relay.
/// </summary>
internal static class LongLink
{
    /// <summary>25 ms each way: a 50 ms round trip, a customer on another continent's edge.</summary>
    public static readonly TimeSpan OneWay = TimeSpan.FromMilliseconds(25);

    public static async Task RunAsync(BenchContext ctx)
    {
        var relays = new List<DelayRelay>();
        int Relay(int port)
        {
            DelayRelay relay = DelayRelay.Start(port, OneWay);
            relays.Add(relay);
            return relay.Port;
        }

        var iperf = new Dictionary<TargetKind, int> { [TargetKind.Iperf] = ctx.Targets.Ports[TargetKind.Iperf] };
        var paths = new List<IForwardingPath>();
        try
        {
            ctx.Log($"long link: starting a tunnel and ssh -tt whose agent and client dial through a {2 * OneWay.TotalMilliseconds:0} ms round trip");
            Figure[] figures = [Figure.LongLinkUp, Figure.LongLinkDown];
            await ctx.StartPathAsync(paths, PathKind.Tunnel, async () => await TunnelPath.StartAsync(iperf, Relay), figures);
            await ctx.StartPathAsync(paths, PathKind.SshTt, async () => await SshPath.StartAsync(PathKind.SshTt, iperf, Relay), figures);
            await WarmUpAsync(ctx, paths);
            foreach ((Figure figure, bool reverse) in new[] { (Figure.LongLinkUp, false), (Figure.LongLinkDown, true) })
            {
                foreach (IForwardingPath path in paths)
                {
                    string what = $"iperf3{(reverse ? " -R" : "")} over the long link";
                    ctx.Log($"{what} through {path.Kind.Label()}");
                    int readyBefore = ctx.Targets.Iperf.ReadyCount;
                    await ctx.MeasureAsync(path, what, async () =>
                    {
                        (double gbps, _) = await IperfRun.RunAsync(path.PortFor(TargetKind.Iperf), ctx.Options.IperfSeconds, 1, reverse);
                        ctx.Results.Add(figure, path.Kind, gbps * 1000);
                    }, figure);
                    await Throughput.WaitForIperfAsync(ctx, path, what, readyBefore);
                }
            }
        }
        finally
        {
            foreach (IForwardingPath path in paths)
            {
                await path.DisposeAsync();
            }

            foreach (DelayRelay relay in relays)
            {
                await relay.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// One unrecorded second through each path. Starting a path probes its port, and through the
    /// relay the probe's connection reaches iperf3 -s 25 ms late: the first test after it could find
    /// iperf3 -s still busy with the probe, which then closed the test's connection unread and so
    /// reset it (once in three repetitions, 2026-12-02). The warm-up takes that instead.
    /// </summary>
    private static async Task WarmUpAsync(BenchContext ctx, List<IForwardingPath> paths)
    {
        foreach (IForwardingPath path in paths)
        {
            int readyBefore = ctx.Targets.Iperf.ReadyCount;
            try
            {
                await IperfRun.RunAsync(path.PortFor(TargetKind.Iperf), 1, 1, reverse: false);
            }
            catch (InvalidOperationException e)
            {
                ctx.Log($"long-link warm-up through {path.Kind.Label()} failed (not recorded): {e.Message.Split('\n')[0]}");
            }

            await Throughput.WaitForIperfAsync(ctx, path, "long-link warm-up", readyBefore);
        }
    }
}
