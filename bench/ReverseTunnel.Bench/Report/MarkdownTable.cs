using System.Globalization;
using System.Text;
using ReverseTunnel.Bench.Paths;

namespace ReverseTunnel.Bench.Report;

/// <summary>
/// The results table: figure | direct | tunnel | ssh -N | ssh -tt | haproxy | tunnel÷direct | tunnel÷ssh -tt |
/// target | met?, each cell the median and (min–max) over the repetitions.
/// </summary>
internal static class MarkdownTable
{
    public static string Render(Results results, int idleConnections)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| figure | direct | tunnel | ssh -N | ssh -tt | haproxy (no TLS) | tunnel÷direct | tunnel÷ssh -tt | target (issue 3) | met? |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---|---|");
        MedianOf median = results.Median;
        foreach (FigureInfo figure in FigureCatalog.All)
        {
            var cells = new List<string> { figure.Title.Replace("{N}", idleConnections.ToString("N0", CultureInfo.InvariantCulture)) };
            cells.AddRange(PathKinds.All.Select(p => Cell(results, figure, p)));
            cells.Add(Ratio(median(figure.Id, PathKind.Tunnel), median(figure.Id, PathKind.Direct)));
            cells.Add(Ratio(median(figure.Id, PathKind.Tunnel), median(figure.Id, PathKind.SshTt)));
            cells.Add(figure.Target);
            cells.Add(figure.Met?.Invoke(median) switch
            {
                true => "yes",
                false => "**no**",
                null => "–",
            });
            sb.AppendLine("| " + string.Join(" | ", cells) + " |");
        }

        return sb.ToString();
    }

    public static string Format(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    private static string Cell(Results results, FigureInfo figure, PathKind path)
    {
        if (results.Summarize(figure.Id, path) is not { } s)
        {
            return results.HasFailed(figure.Id, path) ? "failed" : "–";
        }

        string cell = Format(s.Median, figure.Format);
        if (s.Count > 1)
        {
            cell += $" ({Format(s.Min, figure.Format)}–{Format(s.Max, figure.Format)})";
        }

        if (results.HasFailed(figure.Id, path))
        {
            cell += " (some reps failed)";
        }

        return cell;
    }

    private static string Ratio(double? numerator, double? denominator) =>
        numerator is { } n && denominator is { } d && n > 0 && d > 0 ? Format(n / d, "0.00") + "×" : "–";
}
