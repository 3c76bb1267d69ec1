using ReverseTunnel.Bench.Paths;
using ReverseTunnel.Bench.Report;
using ReverseTunnel.Bench.Targets;

namespace ReverseTunnel.Bench.Figures;

/// <summary>
/// Figure 7: idle RSS. For the tunnel, a fresh ws-server with one ws-agent session (to the echo
/// target) that has carried no traffic; for ssh, the repetition's sshd (with its session) and ssh
/// client before any traffic. Read after a settle.
/// </summary>
internal static class IdleRss
{
    private const double MiB = 1024 * 1024;

    public static async Task MeasureFreshTunnelAsync(BenchContext ctx)
    {
        ctx.Log("idle RSS of a fresh ws-server + ws-agent");
        var echoOnly = new Dictionary<TargetKind, int> { [TargetKind.Echo] = ctx.Targets.Ports[TargetKind.Echo] };
        try
        {
            await using TunnelPath fresh = await TunnelPath.StartAsync(echoOnly);
            await Task.Delay(ctx.Options.Settle);
            fresh.EnsureAlive();
            ctx.Results.Add(Figure.IdleRssServer, PathKind.Tunnel, fresh.ServerSide.RssBytes() / MiB);
            ctx.Results.Add(Figure.IdleRssAgent, PathKind.Tunnel, fresh.AgentSide(TargetKind.Echo).RssBytes() / MiB);
        }
        catch (Exception e)
        {
            ctx.Log($"FAILED idle RSS of the tunnel: {e.Message}");
            ctx.Results.Fail(Figure.IdleRssServer, PathKind.Tunnel, $"rep {ctx.Rep}: {e.Message.Split('\n')[0]}");
            ctx.Results.Fail(Figure.IdleRssAgent, PathKind.Tunnel, $"rep {ctx.Rep}: {e.Message.Split('\n')[0]}");
        }
    }

    /// <summary>Call right after the paths start, before any traffic.</summary>
    public static async Task MeasureSshAsync(BenchContext ctx, IReadOnlyList<IForwardingPath> paths)
    {
        await Task.Delay(ctx.Options.Settle);
        foreach (IForwardingPath path in paths.Where(p => p.Kind is PathKind.SshN or PathKind.SshTt))
        {
            ctx.Results.Add(Figure.IdleRssServer, path.Kind, path.ServerSide.RssBytes() / MiB);
            ctx.Results.Add(Figure.IdleRssAgent, path.Kind, path.AgentSide(TargetKind.Echo).RssBytes() / MiB);
        }
    }
}
