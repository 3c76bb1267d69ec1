using System.Globalization;
using System.Text.RegularExpressions;

namespace ReverseTunnel.Bench.Figures;

/// <summary>What wrk printed: requests per second, p99 latency, and any errors it counted.</summary>
internal sealed partial record WrkOutput(double RequestsPerSecond, double P99Milliseconds, long Requests, string? Errors)
{
    public static WrkOutput Parse(string text)
    {
        Match rps = RequestsPerSecondLine().Match(text);
        Match total = RequestsLine().Match(text);
        if (!rps.Success || !total.Success)
        {
            throw new FormatException($"wrk printed no Requests/sec:\n{text}");
        }

        Match p99 = P99Line().Match(text);
        double p99Ms = p99.Success ? ToMilliseconds(p99.Groups[1].Value, p99.Groups[2].Value) : double.NaN;
        var errors = new List<string>();
        if (SocketErrorsLine().Match(text) is { Success: true } socket)
        {
            errors.Add("socket errors: " + socket.Groups[1].Value.Trim());
        }

        if (Non2xxLine().Match(text) is { Success: true } non2xx)
        {
            errors.Add("non-2xx/3xx responses: " + non2xx.Groups[1].Value);
        }

        return new WrkOutput(
            double.Parse(rps.Groups[1].Value, CultureInfo.InvariantCulture),
            p99Ms,
            long.Parse(total.Groups[1].Value, CultureInfo.InvariantCulture),
            errors.Count == 0 ? null : string.Join("; ", errors));
    }

    private static double ToMilliseconds(string number, string unit)
    {
        double value = double.Parse(number, CultureInfo.InvariantCulture);
        return unit switch
        {
            "us" => value / 1000,
            "ms" => value,
            "s" => value * 1000,
            "m" => value * 60_000,
            "h" => value * 3_600_000,
            _ => throw new FormatException($"unknown wrk time unit {unit}"),
        };
    }

    [GeneratedRegex(@"Requests/sec:\s+([0-9.]+)")]
    private static partial Regex RequestsPerSecondLine();

    [GeneratedRegex(@"(\d+) requests in ")]
    private static partial Regex RequestsLine();

    [GeneratedRegex(@"^\s*99(?:\.0+)?%\s+([0-9.]+)(us|ms|s|m|h)\s*$", RegexOptions.Multiline)]
    private static partial Regex P99Line();

    [GeneratedRegex(@"Socket errors:(.*)$", RegexOptions.Multiline)]
    private static partial Regex SocketErrorsLine();

    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+(\d+)")]
    private static partial Regex Non2xxLine();
}
