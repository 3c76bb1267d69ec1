using System.Globalization;
using System.Text;

namespace ReverseTunnel.Soak;

/// <summary>
/// The soak as an SVG with no dependencies: one panel per resource (RSS, GC heap, fds, threads),
/// one line per process, time in minutes on x, the warm-up shaded.
/// </summary>
internal static class SvgPlot
{
    private const int Width = 820;
    private const int PanelHeight = 190;
    private const int Left = 70;
    private const int Right = 20;
    private const int Top = 40;
    private const int PlotHeight = 130;
    private static readonly string[] Colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];

    public static string Render(IReadOnlyList<Sample> samples, IReadOnlyList<string> processes, TimeSpan warmUp, string title)
    {
        double maxT = Math.Max(1, samples.Max(s => s.ElapsedSeconds));
        int height = Top + (Metric.All.Count * PanelHeight) + 20;
        var svg = new StringBuilder();
        svg.Append(Inv($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{height}\" viewBox=\"0 0 {Width} {height}\" font-family=\"sans-serif\" font-size=\"11\">\n"));
        svg.Append(Inv($"<rect width=\"{Width}\" height=\"{height}\" fill=\"white\"/>\n"));
        svg.Append(Inv($"<text x=\"{Left}\" y=\"18\" font-size=\"14\" font-weight=\"bold\">{Escape(title)}</text>\n"));
        for (int p = 0; p < processes.Count; p++)
        {
            double x = Left + (p * 200);
            svg.Append(Inv($"<line x1=\"{x}\" y1=\"30\" x2=\"{x + 20}\" y2=\"30\" stroke=\"{Colors[p % Colors.Length]}\" stroke-width=\"2\"/>"));
            svg.Append(Inv($"<text x=\"{x + 25}\" y=\"34\">{Escape(processes[p])}</text>\n"));
        }

        double plotWidth = Width - Left - Right;
        double X(double t) => Left + (t / maxT * plotWidth);
        for (int m = 0; m < Metric.All.Count; m++)
        {
            Metric metric = Metric.All[m];
            double top = Top + (m * PanelHeight) + 25;
            double[] values = [.. samples.Select(metric.Read).Where(v => !double.IsNaN(v))];
            double maxV = values.Length == 0 ? 1 : NiceCeiling(values.Max() * 1.1);
            double Y(double v) => top + PlotHeight - (v / maxV * PlotHeight);

            svg.Append(Inv($"<text x=\"{Left}\" y=\"{top - 8}\" font-weight=\"bold\">{Escape(metric.Name)}{(metric.Unit.Length > 0 ? $" ({metric.Unit})" : "")}</text>\n"));
            svg.Append(Inv($"<rect x=\"{Left}\" y=\"{top}\" width=\"{X(Math.Min(warmUp.TotalSeconds, maxT)) - Left:F1}\" height=\"{PlotHeight}\" fill=\"#eeeeee\"/>\n"));
            svg.Append(Inv($"<rect x=\"{Left}\" y=\"{top}\" width=\"{plotWidth}\" height=\"{PlotHeight}\" fill=\"none\" stroke=\"#999\"/>\n"));
            for (int g = 0; g <= 4; g++)
            {
                double v = maxV * g / 4;
                svg.Append(Inv($"<line x1=\"{Left}\" y1=\"{Y(v):F1}\" x2=\"{Left + plotWidth}\" y2=\"{Y(v):F1}\" stroke=\"#ddd\"/>"));
                svg.Append(Inv($"<text x=\"{Left - 5}\" y=\"{Y(v) + 4:F1}\" text-anchor=\"end\">{v:0.#}</text>\n"));
            }

            double stepMinutes = NiceCeiling(maxT / 60 / 8);
            for (double minute = 0; minute * 60 <= maxT + 0.001; minute += stepMinutes)
            {
                svg.Append(Inv($"<text x=\"{X(minute * 60):F1}\" y=\"{top + PlotHeight + 14}\" text-anchor=\"middle\">{minute:0.#}</text>"));
            }

            svg.Append(Inv($"<text x=\"{Left + plotWidth}\" y=\"{top + PlotHeight + 28}\" text-anchor=\"end\" fill=\"#555\">minutes (shaded: warm-up)</text>\n"));
            for (int p = 0; p < processes.Count; p++)
            {
                string points = string.Join(" ", samples
                    .Where(s => s.Process == processes[p] && !double.IsNaN(metric.Read(s)))
                    .Select(s => Inv($"{X(s.ElapsedSeconds):F1},{Y(metric.Read(s)):F1}")));
                if (points.Length > 0)
                {
                    svg.Append(Inv($"<polyline fill=\"none\" stroke=\"{Colors[p % Colors.Length]}\" stroke-width=\"1.5\" points=\"{points}\"/>\n"));
                }
            }
        }

        svg.Append("</svg>\n");
        return svg.ToString();
    }

    /// <summary>1, 2, 2.5 or 5 times a power of ten, at least <paramref name="value"/>.</summary>
    private static double NiceCeiling(double value)
    {
        if (value <= 0)
        {
            return 1;
        }

        double power = Math.Pow(10, Math.Floor(Math.Log10(value)));
        foreach (double step in new[] { 1, 2, 2.5, 5, 10 })
        {
            if (step * power >= value)
            {
                return step * power;
            }
        }

        return 10 * power;
    }

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static string Escape(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal);
}
