using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ReverseTunnel.Bench.Paths;
using ReverseTunnel.Bench.Report;
using ReverseTunnel.Bench.Targets;

namespace ReverseTunnel.Bench.Figures;

/// <summary>
/// Figure 2: 64-byte ping-pong over one connection to the echo target; blocking socket calls on one
/// thread, NoDelay, Stopwatch ticks per round trip; warm-up first, then p50 and p99.
/// </summary>
internal static class PingPong
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    public static async Task RunAsync(BenchContext ctx, IReadOnlyList<IForwardingPath> paths)
    {
        var p50 = new Dictionary<PathKind, double>();
        foreach (IForwardingPath path in paths)
        {
            ctx.Log($"ping-pong through {path.Kind.Label()}");
            await ctx.MeasureAsync(path, "ping-pong", async () =>
            {
                double[] micros = await Task.Factory.StartNew(
                    () => Measure(path.PortFor(TargetKind.Echo), ctx.Options.PingWarmup, ctx.Options.PingRoundTrips),
                    TaskCreationOptions.LongRunning);
                Array.Sort(micros);
                p50[path.Kind] = Percentile(micros, 0.50);
                ctx.Results.Add(Figure.PingP50, path.Kind, p50[path.Kind]);
                ctx.Results.Add(Figure.PingP99, path.Kind, Percentile(micros, 0.99));
            }, Figure.PingP50, Figure.PingP99, Figure.PingP50Added);
            await Task.Delay(300);
        }

        if (p50.TryGetValue(PathKind.Direct, out double direct))
        {
            foreach ((PathKind kind, double value) in p50)
            {
                ctx.Results.Add(Figure.PingP50Added, kind, value - direct);
            }
        }
    }

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    public static double Percentile(double[] sorted, double p) =>
        sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static double[] Measure(int port, int warmup, int count)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        socket.ReceiveTimeout = 10_000;
        socket.SendTimeout = 10_000;
        socket.Connect(new IPEndPoint(IPAddress.Loopback, port));
        byte[] ping = new byte[64];
        Random.Shared.NextBytes(ping);
        byte[] pong = new byte[64];
        double[] micros = new double[count];
        var deadline = Stopwatch.StartNew();
        for (int i = 0; i < warmup + count; i++)
        {
            long start = Stopwatch.GetTimestamp();
            socket.Send(ping);
            for (int got = 0; got < pong.Length;)
            {
                int n = socket.Receive(pong, got, pong.Length - got, SocketFlags.None);
                if (n == 0)
                {
                    throw new IOException($"the echo connection ended after {i} round trips");
                }

                got += n;
            }

            long end = Stopwatch.GetTimestamp();
            if (i >= warmup)
            {
                micros[i - warmup] = (end - start) * 1e6 / Stopwatch.Frequency;
            }

            if (!pong.AsSpan().SequenceEqual(ping))
            {
                throw new IOException($"round trip {i} came back altered");
            }

            if (deadline.Elapsed > Deadline)
            {
                throw new TimeoutException($"{i} round trips took longer than {Deadline.TotalSeconds:0} s");
            }
        }

        socket.Shutdown(SocketShutdown.Both);
        return micros;
    }
}
