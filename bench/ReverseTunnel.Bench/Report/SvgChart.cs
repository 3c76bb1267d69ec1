using System.Globalization;
using System.Security;
using System.Text;
using ReverseTunnel.Bench.Paths;

namespace ReverseTunnel.Bench.Report;

/// <summary>
/// A grouped bar chart, written as SVG text: throughput, req/s and conn/s of the tunnel and both
/// ssh modes relative to direct (direct = 1).
/// </summary>
internal static class SvgChart
{
    private static readonly (Figure Figure, string Label)[] Groups =
    [
        (Figure.Iperf1Up, "1 stream"),
        (Figure.Iperf1Down, "1 stream -R"),
        (Figure.Iperf8Up, "8 streams"),
        (Figure.Iperf8Down, "8 streams -R"),
        (Figure.HttpRps, "HTTP req/s"),
        (Figure.NewConns, "new conn/s"),
    ];

    private static readonly (PathKind Path, string Color)[] Series =
    [
        (PathKind.Tunnel, "#2b6cb0"),
        (PathKind.SshN, "#dd6b20"),
        (PathKind.SshTt, "#d69e2e"),
        (PathKind.Haproxy, "#a0aec0"),
    ];

    public static string Render(Results results, int reps)
    {
        const int width = 920, height = 440, left = 60, right = 20, top = 60, bottom = 70;
        double plotWidth = width - left - right, plotHeight = height - top - bottom;
        double?[,] ratios = new double?[Groups.Length, Series.Length];
        double max = 0.5;
        for (int g = 0; g < Groups.Length; g++)
        {
            for (int s = 0; s < Series.Length; s++)
            {
                if (results.Median(Groups[g].Figure, Series[s].Path) is { } v && results.Median(Groups[g].Figure, PathKind.Direct) is { } d && d > 0)
                {
                    ratios[g, s] = v / d;
                    max = Math.Max(max, v / d);
                }
            }
        }

        double axisMax = Math.Ceiling(max * 4) / 4; // at least 0.5; 1.0 (direct) shows when a bar reaches it
        double Y(double ratio) => top + plotHeight - (ratio / axisMax * plotHeight);
        var svg = new StringBuilder();
        svg.AppendLine(CultureInfo.InvariantCulture, $"""<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">""");
        svg.AppendLine(CultureInfo.InvariantCulture, $"""<rect width="{width}" height="{height}" fill="white"/>""");
        svg.AppendLine(CultureInfo.InvariantCulture, $"""<text x="{width / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">Relative to direct TCP (direct = 1.0), median of {reps} repetition(s)</text>""");
        for (double tick = 0; tick <= axisMax + 1e-9; tick += 0.25)
        {
            string y = F(Y(tick));
            svg.AppendLine(CultureInfo.InvariantCulture, $"""<line x1="{left}" x2="{width - right}" y1="{y}" y2="{y}" stroke="{(Math.Abs(tick - 1) < 1e-9 ? "#333" : "#ddd")}"/>""");
            svg.AppendLine(CultureInfo.InvariantCulture, $"""<text x="{left - 6}" y="{y}" text-anchor="end" dominant-baseline="middle">{tick:0.00}</text>""");
        }

        double groupWidth = plotWidth / Groups.Length, barWidth = groupWidth * 0.8 / Series.Length;
        for (int g = 0; g < Groups.Length; g++)
        {
            double x0 = left + (g * groupWidth) + (groupWidth * 0.1);
            for (int s = 0; s < Series.Length; s++)
            {
                if (ratios[g, s] is not { } r)
                {
                    continue;
                }

                double x = x0 + (s * barWidth), y = Y(r);
                svg.AppendLine(CultureInfo.InvariantCulture, $"""<rect x="{F(x)}" y="{F(y)}" width="{F(barWidth - 2)}" height="{F(top + plotHeight - y)}" fill="{Series[s].Color}"><title>{Series[s].Path.Label()}: {r:0.000}× direct</title></rect>""");
                svg.AppendLine(CultureInfo.InvariantCulture, $"""<text x="{F(x + (barWidth / 2))}" y="{F(y - 4)}" text-anchor="middle" font-size="10">{r:0.00}</text>""");
            }

            svg.AppendLine(CultureInfo.InvariantCulture, $"""<text x="{F(x0 + (groupWidth * 0.4))}" y="{top + plotHeight + 18}" text-anchor="middle">{SecurityElement.Escape(Groups[g].Label)}</text>""");
        }

        for (int s = 0; s < Series.Length; s++)
        {
            double x = left + (s * 150);
            svg.AppendLine(CultureInfo.InvariantCulture, $"""<rect x="{F(x)}" y="{height - 30}" width="14" height="14" fill="{Series[s].Color}"/>""");
            svg.AppendLine(CultureInfo.InvariantCulture, $"""<text x="{F(x + 20)}" y="{height - 18}">{Series[s].Path.Label()}</text>""");
        }

        svg.AppendLine("</svg>");
        return svg.ToString();
    }

    private static string F(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);
}
