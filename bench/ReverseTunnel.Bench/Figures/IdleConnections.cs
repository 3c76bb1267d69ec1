using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ReverseTunnel.Bench.Infra;
using ReverseTunnel.Bench.Paths;
using ReverseTunnel.Bench.Report;
using ReverseTunnel.Bench.Targets;

namespace ReverseTunnel.Bench.Figures;

/// <summary>
/// Figure 5: N concurrent idle connections to the echo target, opened in batches; each proves it
/// is through with a 1-byte echo. Reports failures, RSS growth of the path's processes per
/// connection, and the opening rate (connections that echoed, per second) of the first and the last batch.
/// </summary>
internal static class IdleConnections
{
    private static readonly TimeSpan PerConnectionTimeout = TimeSpan.FromSeconds(20);

    public static async Task RunAsync(BenchContext ctx, IReadOnlyList<IForwardingPath> paths)
    {
        foreach (IForwardingPath path in paths)
        {
            if (path is HaproxyPath { MaxConnections: int max } && max < ctx.Options.IdleConnections)
            {
                ctx.Results.Note($"rep {ctx.Rep}, haproxy: idle connections not measured; it can hold only {max:N0} under this open-file limit ({Prerequisites.OpenFileLimit():N0}), two descriptors each");
                continue;
            }

            ctx.Log($"{ctx.Options.IdleConnections} idle connections through {path.Kind.Label()}");
            await ctx.MeasureAsync(path, "idle connections", () => RunOneAsync(ctx, path),
                Figure.IdleFailures, Figure.IdleRssPerConn, Figure.IdleRateFirst, Figure.IdleRateLast);
            await Task.Delay(ctx.Options.Settle);
        }
    }

    private static async Task RunOneAsync(BenchContext ctx, IForwardingPath path)
    {
        BenchOptions o = ctx.Options;
        ProcessSet processes = ProcessSet.Combine("path", path.ServerSide, path.AgentSide(TargetKind.Echo));
        int port = path.PortFor(TargetKind.Echo);
        await Task.Delay(o.Settle);
        long rssBefore = processes.RssBytes();
        var open = new List<Socket>(o.IdleConnections);
        var rates = new List<double>();
        int failures = 0;
        string? firstError = null;
        try
        {
            for (int opened = 0; opened < o.IdleConnections; opened += o.IdleBatch)
            {
                int batch = Math.Min(o.IdleBatch, o.IdleConnections - opened);
                using var gate = new SemaphoreSlim(o.IdleParallelism);
                var clock = Stopwatch.StartNew();
                (Socket? Socket, string? Error)[] results = await Task.WhenAll(Enumerable.Range(0, batch).Select(async _ =>
                {
                    await gate.WaitAsync();
                    try
                    {
                        return await OpenAsync(port);
                    }
                    finally
                    {
                        gate.Release();
                    }
                }));
                double elapsed = clock.Elapsed.TotalSeconds;
                int before = open.Count;
                foreach ((Socket? socket, string? error) in results)
                {
                    if (socket is not null)
                    {
                        open.Add(socket);
                    }
                    else
                    {
                        failures++;
                        firstError ??= error;
                    }
                }

                // Connections that proved themselves, per second: refused ones are fast, not progress.
                rates.Add((open.Count - before) / elapsed);

                path.EnsureAlive();
            }

            await Task.Delay(o.Settle);
            long rssAfter = processes.RssBytes();
            PathKind kind = path.Kind;
            ctx.Results.Add(Figure.IdleFailures, kind, failures);
            ctx.Results.Add(Figure.IdleRateFirst, kind, rates[0]);
            ctx.Results.Add(Figure.IdleRateLast, kind, rates[^1]);
            if (kind != PathKind.Direct && open.Count > 0)
            {
                ctx.Results.Add(Figure.IdleRssPerConn, kind, (rssAfter - rssBefore) / 1024.0 / open.Count);
            }

            ctx.Log($"  {open.Count} open, {failures} failed; batch rates {string.Join(", ", rates.Select(r => r.ToString("0")))} conn/s; RSS {rssBefore / 1048576.0:0.0} -> {rssAfter / 1048576.0:0.0} MiB");
            if (failures > 0)
            {
                ctx.Results.Note($"rep {ctx.Rep}, {kind.Label()}: {failures} of {o.IdleConnections} idle connections failed; first error: {firstError}");
            }
        }
        finally
        {
            foreach (Socket socket in open)
            {
                socket.Dispose();
            }
        }
    }

    /// <summary>Connects, sends one byte and reads it back; the socket, or why it failed.</summary>
    private static async Task<(Socket?, string?)> OpenAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var timeout = new CancellationTokenSource(PerConnectionTimeout);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), timeout.Token);
            byte[] one = [0x5A];
            await socket.SendAsync(one, SocketFlags.None, timeout.Token);
            byte[] back = new byte[1];
            int n = await socket.ReceiveAsync(back, SocketFlags.None, timeout.Token);
            if (n != 1 || back[0] != one[0])
            {
                throw new IOException(n == 0 ? "closed before the echo" : "wrong echo byte");
            }

            return (socket, null);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            socket.Dispose();
            return (null, e is OperationCanceledException ? $"no echo within {PerConnectionTimeout.TotalSeconds:0} s" : e.Message);
        }
    }
}
