using System.Net.Sockets;
using System.Net.WebSockets;
using ReverseTunnel.Protocol.Bridging;
using ReverseTunnel.Protocol.FlowControl;
using ReverseTunnel.Protocol.Multiplexing;
using ReverseTunnel.Protocol.Tests.Support;

namespace ReverseTunnel.Protocol.Tests.Bridging;

/// <summary>
/// Runs in a child process with inline completions on one socket-engine thread
/// (<see cref="ProbeProcess"/>). Each probe makes one batch of epoll events on purpose: it blocks the
/// engine thread inside a completion, makes several sockets readable meanwhile and lets go, so that
/// the engine's next epoll_wait returns them all at once.
/// </summary>
internal static class SocketEngineBatchProbes
{
    private const int Sockets = 8;

    public static Task<string> RunAsync(string name) => name switch
    {
        "batch-order" => BatchOrderAsync(),
        "writer-hold" => WriterHoldAsync(),
        "two-engines" => TwoEnginesAsync(),
        "held-complete" => HeldCompleteAsync(),
        "off-engine" => OffEngineAsync(),
        _ => throw new ArgumentException($"no probe named {name}"),
    };

    /// <summary>Logs each socket's read and, after yielding to the batch's end, its resumption.</summary>
    private static async Task<string> BatchOrderAsync()
    {
        var log = new List<string>();
        await WarmUpAsync();
        await InOneBatchAsync(async (socket, i) =>
        {
            await ReadOneAsync(socket);
            int thread = Environment.CurrentManagedThreadId;
            if (!SocketEngineBatch.TryGetCurrent(out SocketEngineBatch? batch))
            {
                Add(log, $"no-batch{i}");
                return;
            }

            Add(log, $"read{i}");
            await batch.Yield();
            Add(log, Environment.CurrentManagedThreadId == thread ? $"end{i}" : $"end{i}-on-another-thread");
        });
        return string.Join(' ', log);
    }

    /// <summary>
    /// With two engine threads a bell may be registered with the other engine than the thread that
    /// rings it; it must still resume its waiter, and be replaced until one on the right engine is
    /// found. Reports, per round, whether the yield resumed on the thread that yielded.
    /// </summary>
    private static async Task<string> TwoEnginesAsync()
    {
        var rounds = new List<string>();
        for (int round = 0; round < 24; round++)
        {
            var (client, server) = await SocketPair.CreateAsync();
            using (client)
            using (server)
            {
                // Started before the octet is sent, so that the read waits and completes on an engine thread.
                Task yielded = YieldAfterReadAsync(server, rounds);
                client.Send([1]);
                await yielded;
            }
        }

        return string.Join(' ', rounds);
    }

    private static async Task YieldAfterReadAsync(Socket socket, List<string> rounds)
    {
        await ReadOneAsync(socket);
        int thread = Environment.CurrentManagedThreadId;
        if (!SocketEngineBatch.TryGetCurrent(out SocketEngineBatch? batch))
        {
            Add(rounds, "none");
            return;
        }

        await batch.Yield();
        Add(rounds, Environment.CurrentManagedThreadId == thread ? "same" : "other");
    }

    /// <summary>
    /// One small frame queued from each socket's completion in one batch; reports how many WebSocket
    /// messages carried them, with the writer holding for the batch's end and with it never holding.
    /// </summary>
    private static async Task<string> WriterHoldAsync()
    {
        int held = await CountMessagesAsync(holdAfterSend: TimeSpan.MaxValue);
        int unheld = await CountMessagesAsync(holdAfterSend: TimeSpan.Zero);
        return $"held={held} unheld={unheld}";
    }

    /// <summary>
    /// The writer is completed by the batch's last completion while it holds: it must still send
    /// everything queued, in one message, and end.
    /// </summary>
    private static async Task<string> HeldCompleteAsync()
    {
        int messages = await CountMessagesAsync(TimeSpan.MaxValue, completeInBatch: true);
        return $"messages={messages} ended";
    }

    /// <summary>Asks from the main thread and from a pool thread, after an engine thread has its bell.</summary>
    private static async Task<string> OffEngineAsync()
    {
        await WarmUpAsync();
        await Task.Yield();
        string main = SocketEngineBatch.TryGetCurrent(out _) ? "batch" : "none";
        string pool = await Task.Run(() => SocketEngineBatch.TryGetCurrent(out _)) ? "batch" : "none";
        return $"{main} {pool}";
    }

    private static async Task<int> CountMessagesAsync(TimeSpan holdAfterSend, bool completeInBatch = false)
    {
        var (client, server) = await SocketPair.CreateAsync();
        using WebSocket sending = WebSocket.CreateFromStream(new NetworkStream(client, ownsSocket: true), isServer: false, subProtocol: null, Timeout.InfiniteTimeSpan);
        using WebSocket receiving = WebSocket.CreateFromStream(new NetworkStream(server, ownsSocket: true), isServer: true, subProtocol: null, Timeout.InfiniteTimeSpan);
        var writer = new SessionWriter(new CreditWindow(1 << 20), new CreditWindow(1 << 20), 64 * 1024, 32 * 1024, holdAfterSend);
        Task run = writer.RunAsync(sending, CancellationToken.None);
        await WarmUpAsync();

        await InOneBatchAsync(async (socket, i) =>
        {
            await ReadOneAsync(socket);
            Assert(writer.TryEnqueue(OutboundFrame.WindowUpdate((uint)i + 1, 1)), "the writer refused a frame");
            if (completeInBatch && i == Sockets - 1)
            {
                writer.Complete();
            }
        });

        // A WINDOW_UPDATE is a 9-octet header and a 4-octet increment.
        int expected = Sockets * 13;
        int received = 0;
        int messages = 0;
        var buffer = new byte[64 * 1024];
        while (received < expected)
        {
            ValueWebSocketReceiveResult result = await receiving.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
            received += result.Count;
            messages += result.EndOfMessage ? 1 : 0;
        }

        writer.Complete();
        await run;
        return messages;
    }

    /// <summary>
    /// The first ask on an engine thread only sets its bell up (<see cref="SocketEngineBatch.TryGetCurrent"/>
    /// returns false); asks again from later completions until the bell is there.
    /// </summary>
    private static async Task WarmUpAsync()
    {
        for (int attempt = 0; attempt < 100; attempt++)
        {
            var (client, server) = await SocketPair.CreateAsync();
            using (client)
            using (server)
            {
                Task<bool> ready = HasBatchAfterReadAsync(server);
                client.Send([1]);
                if (await ready)
                {
                    return;
                }
            }
        }

        throw new InvalidOperationException("the engine thread never got a bell");
    }

    private static async Task<bool> HasBatchAfterReadAsync(Socket socket)
    {
        await ReadOneAsync(socket);
        return SocketEngineBatch.TryGetCurrent(out _);
    }

    /// <summary>
    /// Starts <paramref name="handler"/> on the accepted end of <see cref="Sockets"/> connections,
    /// then makes all of them readable while the engine thread is held, so that one epoll_wait
    /// returns them together.
    /// </summary>
    private static async Task InOneBatchAsync(Func<Socket, int, Task> handler)
    {
        var pairs = new (Socket Client, Socket Server)[Sockets];
        for (int i = 0; i < Sockets; i++)
        {
            pairs[i] = await SocketPair.CreateAsync();
        }

        var gate = await SocketPair.CreateAsync();
        using var engineHeld = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        Task held = HoldEngineAsync(gate.Server, engineHeld, release);
        Task[] handlers = pairs.Select((pair, i) => handler(pair.Server, i)).ToArray();

        // The awaits above may have left this method on the engine thread (inline completions),
        // which the wait below would then hold for good: move to the pool first.
        await Task.Yield();
        gate.Client.Send([1]);
        Assert(engineHeld.Wait(TestTimeout.Value), "the engine thread never ran the gate's completion");
        foreach (var pair in pairs)
        {
            pair.Client.Send([1]);
        }

        release.Set();
        await held;
        await Task.WhenAll(handlers);
        foreach (var (c, s) in pairs.Append(gate))
        {
            c.Dispose();
            s.Dispose();
        }
    }

    private static async Task HoldEngineAsync(Socket socket, ManualResetEventSlim engineHeld, ManualResetEventSlim release)
    {
        await ReadOneAsync(socket);
        engineHeld.Set();

        // Blocks the engine thread on purpose (the only place a completion may block).
        release.Wait(TestTimeout.Value);
    }

    private static async Task ReadOneAsync(Socket socket)
    {
        byte[] one = new byte[1];
        Assert(await socket.ReceiveAsync(one.AsMemory(), SocketFlags.None) == 1, "a probe socket closed early");
    }

    private static void Add(List<string> log, string entry)
    {
        lock (log)
        {
            log.Add(entry);
        }
    }

    private static void Assert([System.Diagnostics.CodeAnalysis.DoesNotReturnIf(false)] bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException(message);
        }
    }
}
