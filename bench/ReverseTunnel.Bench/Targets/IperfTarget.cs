using System.Diagnostics;
using ReverseTunnel.Bench.Infra;

namespace ReverseTunnel.Bench.Targets;

/// <summary>
/// <c>iperf3 -s</c> on a free loopback port. It serves one test at a time and prints
/// <c>Server listening on PORT</c> each time it is ready for the next, which is what the bench
/// waits for between runs.
/// </summary>
internal sealed class IperfTarget(ToolProcess process, int port) : IAsyncDisposable
{
    public int Port { get; } = port;

    /// <summary>How many times the server has said it is ready (once at start, then after every test).</summary>
    public int ReadyCount => process.MatchCount;

    public static async Task<IperfTarget> StartAsync(int port)
    {
        ToolProcess iperf = ToolProcess.Start("iperf3 -s", "iperf3", ["-s", "-B", "127.0.0.1", "-p", port.ToString(), "--forceflush"],
            countPattern: $@"Server listening on {port}\b");
        await iperf.WaitForLineAsync($@"Server listening on {port}\b", TimeSpan.FromSeconds(15));
        return new IperfTarget(iperf, port);
    }

    /// <summary>Waits until the server is ready again after a test; how long that took, or null if it never was.</summary>
    public async Task<TimeSpan?> WaitReadyAfterAsync(int readyCountBefore, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (ReadyCount <= readyCountBefore)
        {
            if (clock.Elapsed > timeout || process.HasExited)
            {
                return null;
            }

            await Task.Delay(20);
        }

        return clock.Elapsed;
    }

    public ValueTask DisposeAsync() => process.DisposeAsync();
}
