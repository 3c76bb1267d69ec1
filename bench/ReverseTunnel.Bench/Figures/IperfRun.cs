using System.Text.Json;
using ReverseTunnel.Bench.Infra;

namespace ReverseTunnel.Bench.Figures;

/// <summary>One <c>iperf3 -c … -J</c> run and what its JSON says (sum_received).</summary>
internal static class IperfRun
{
    public static async Task<(double Gbps, long Bytes)> RunAsync(int port, int seconds, int streams, bool reverse)
    {
        var args = new List<string> { "-c", "127.0.0.1", "-p", port.ToString(), "-t", seconds.ToString(), "-J", "--connect-timeout", "5000" };
        if (streams > 1)
        {
            args.AddRange(["-P", streams.ToString()]);
        }

        if (reverse)
        {
            args.Add("-R");
        }

        var (code, stdout, output) = await ToolProcess.RunAsync("iperf3", args, TimeSpan.FromSeconds(seconds + 30));
        JsonElement root;
        try
        {
            root = JsonDocument.Parse(stdout).RootElement;
        }
        catch (JsonException)
        {
            throw new InvalidOperationException($"iperf3 exited with {code} and printed no JSON: {output}");
        }

        if (root.TryGetProperty("error", out JsonElement error))
        {
            throw new InvalidOperationException($"iperf3: {error.GetString()}");
        }

        JsonElement received = root.GetProperty("end").GetProperty("sum_received");
        double bits = received.GetProperty("bits_per_second").GetDouble();
        long bytes = (long)received.GetProperty("bytes").GetDouble();
        if (code != 0 || bytes == 0)
        {
            throw new InvalidOperationException($"iperf3 exited with {code}, {bytes} bytes received");
        }

        return (bits / 1e9, bytes);
    }
}
