using ReverseTunnel.Bench.Paths;

namespace ReverseTunnel.Bench.Report;

/// <summary>Median of a figure on a path, or null when it was not measured.</summary>
internal delegate double? MedianOf(Figure figure, PathKind path);

/// <summary>One row: its title, how to print it, the target from issue 3 and how to judge it.</summary>
internal sealed record FigureInfo(Figure Id, string Title, string Format, string Target, Func<MedianOf, bool?>? Met = null);

internal static class FigureCatalog
{
    public static readonly IReadOnlyList<FigureInfo> All =
    [
        new(Figure.Iperf1Up, "iperf3 1 stream, Gbit/s", "0.00", "≥ 1.5× ssh, ≥ 0.27× direct", m => Throughput(m, Figure.Iperf1Up)),
        new(Figure.Iperf1Down, "iperf3 1 stream -R, Gbit/s", "0.00", "≥ 1.5× ssh, ≥ 0.27× direct", m => Throughput(m, Figure.Iperf1Down)),
        new(Figure.Iperf8Up, "iperf3 8 streams, Gbit/s", "0.00", "≥ 1.5× ssh, ≥ 0.27× direct", m => Throughput(m, Figure.Iperf8Up)),
        new(Figure.Iperf8Down, "iperf3 8 streams -R, Gbit/s", "0.00", "≥ 1.5× ssh, ≥ 0.27× direct", m => Throughput(m, Figure.Iperf8Down)),
        new(Figure.LongLinkUp, "iperf3 1 stream, 50 ms round trip, Mbit/s", "0", "–"),
        new(Figure.LongLinkDown, "iperf3 1 stream -R, 50 ms round trip, Mbit/s", "0", "–"),
        new(Figure.PingP50, "ping-pong 64 B p50, µs", "0", "–"),
        new(Figure.PingP50Added, "ping-pong p50 added to direct, µs", "0", "≤ ssh -tt's", m => Compare(m, Figure.PingP50Added, (t, s) => t <= s)),
        new(Figure.PingP99, "ping-pong 64 B p99, µs", "0", "< 2× ssh -tt", m => Compare(m, Figure.PingP99, (t, s) => t < 2 * s)),
        new(Figure.HttpRps, "HTTP keep-alive, req/s (wrk -c64)", "0", "≥ 1.2× ssh -tt", m => Compare(m, Figure.HttpRps, (t, s) => t >= 1.2 * s)),
        new(Figure.HttpP99, "HTTP keep-alive p99, ms", "0.00", "< 3 ms", m => m(Figure.HttpP99, PathKind.Tunnel) is { } t ? t < 3 : null),
        new(Figure.HttpCpu, "keep-alive CPU per request, µs (both ends)", "0.0", "–"),
        new(Figure.HttpBusy, "keep-alive: machine CPU busy, %", "0", "–"),
        new(Figure.HttpKernel, "keep-alive: machine kernel CPU per request, µs (all processes)", "0.0", "–"),
        new(Figure.NewConns, "new connections/s (Connection: close)", "0", "≥ 2× ssh -tt", m => Compare(m, Figure.NewConns, (t, s) => t >= 2 * s)),
        new(Figure.NewConnCpu, "CPU per new connection, µs (both ends)", "0.0", "–"),
        new(Figure.NewConnBusy, "new connections: machine CPU busy, %", "0", "–"),
        new(Figure.NewConnKernel, "new connections: machine kernel CPU per connection, µs (all processes)", "0.0", "–"),
        new(Figure.IdleFailures, "idle connections that failed, of {N}", "0", "0", m => m(Figure.IdleFailures, PathKind.Tunnel) is { } t ? t == 0 : null),
        new(Figure.IdleRssPerConn, "RSS per idle connection, KiB (server+agent)", "0.0", "≤ 32 KiB", m => m(Figure.IdleRssPerConn, PathKind.Tunnel) is { } t ? t <= 32 : null),
        new(Figure.IdleRateFirst, "opening rate, first batch, conn/s", "0", "–"),
        new(Figure.IdleRateLast, "opening rate, last batch, conn/s", "0", "no fall (≥ 0.8× first batch)",
            m => m(Figure.IdleRateLast, PathKind.Tunnel) is { } last && m(Figure.IdleRateFirst, PathKind.Tunnel) is { } first ? last >= 0.8 * first : null),
        new(Figure.CpuServer, "CPU s/GB, ws-server (sshd)", "0.00", "–"),
        new(Figure.CpuAgent, "CPU s/GB, ws-agent (ssh)", "0.00", "–"),
        new(Figure.CpuTotal, "CPU s/GB, both ends", "0.00", "–"),
        new(Figure.IdleRssServer, "idle RSS ws-server (sshd), MiB", "0.0", "–"),
        new(Figure.IdleRssAgent, "idle RSS ws-agent (ssh), MiB", "0.0", "≤ 25 MiB", m => m(Figure.IdleRssAgent, PathKind.Tunnel) is { } t ? t <= 25 : null),
    ];

    public static FigureInfo Get(Figure figure) => All.Single(f => f.Id == figure);

    private static bool? Throughput(MedianOf m, Figure f)
    {
        if (m(f, PathKind.Tunnel) is not { } tunnel || m(f, PathKind.Direct) is not { } direct)
        {
            return null;
        }

        double ssh = Math.Max(m(f, PathKind.SshN) ?? 0, m(f, PathKind.SshTt) ?? 0);
        return tunnel >= 1.5 * ssh && tunnel >= 0.27 * direct;
    }

    private static bool? Compare(MedianOf m, Figure f, Func<double, double, bool> rule) =>
        m(f, PathKind.Tunnel) is { } t && m(f, PathKind.SshTt) is { } s ? rule(t, s) : null;
}
