using ReverseTunnel.Bench.Infra;
using ReverseTunnel.Bench.Paths;
using ReverseTunnel.Bench.Report;
using ReverseTunnel.Bench.Targets;

namespace ReverseTunnel.Bench.Figures;

/// <summary>
/// Unrecorded traffic through every path before the figures: the freshly started ws-server and
/// ws-agent JIT-compile their hot paths here rather than inside the first measurement.
/// </summary>
internal static class WarmUp
{
    public static async Task RunAsync(BenchContext ctx, IReadOnlyList<IForwardingPath> paths)
    {
        foreach (IForwardingPath path in paths)
        {
            ctx.Log($"warm-up through {path.Kind.Label()}");
            await ctx.MeasureAsync(path, "warm-up", async () =>
            {
                int readyBefore = ctx.Targets.Iperf.ReadyCount;
                await IperfRun.RunAsync(path.PortFor(TargetKind.Iperf), 1, 1, reverse: false);
                if (await ctx.Targets.Iperf.WaitReadyAfterAsync(readyBefore, TimeSpan.FromSeconds(20)) is null)
                {
                    await ctx.Targets.RestartIperfAsync();
                }

                // Keep-alive requests, then new connections: the accept, open and dial paths are
                // hot code too, and a keep-alive run opens only its 16 connections.
                foreach (string[] extra in new[] { Array.Empty<string>(), ["-H", "Connection: close"] })
                {
                    var (code, _, output) = await ToolProcess.RunAsync("wrk",
                        ["-t2", "-c16", "-d1s", .. extra, $"http://127.0.0.1:{path.PortFor(TargetKind.Http)}{NginxTarget.Resource}"], TimeSpan.FromSeconds(30));
                    if (code != 0)
                    {
                        throw new InvalidOperationException($"wrk exited with {code}: {output}");
                    }
                }
            }, Figure.Iperf1Up);
        }
    }
}
