using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using ReverseTunnel.Agent.Diagnostics;
using ReverseTunnel.Protocol.Bridging;
using ReverseTunnel.Protocol.Multiplexing;

namespace ReverseTunnel.Agent.Streams;

/// <summary>
/// The agent's <c>acceptStream</c> callback for one session: each stream the server opens is
/// joined to a new connection to the configured target. Data the server sends before the dial
/// completes waits in the stream (within its window), so dialling first and bridging after loses nothing.
/// </summary>
/// <param name="dialer">Dials the one configured target.</param>
/// <param name="logger">Logger.</param>
/// <param name="bridgeOptions">The bridge's options (IDLE_STREAM_TIMEOUT_SECONDS); null for none.</param>
public sealed class StreamForwarder(TargetDialer dialer, ILogger logger, SocketBridgeOptions? bridgeOptions = null) : IDisposable
{
    private readonly ConcurrentDictionary<uint, Task> _running = new();
    private readonly CancellationTokenSource _stopping = new();
    private long _accepted;
    private long _cancelledDials;

    /// <summary>Streams accepted in this session.</summary>
    public long AcceptedStreams => Interlocked.Read(ref _accepted);

    /// <summary>Dials cancelled because the server reset their stream first (the client left at once).</summary>
    public long CancelledDials => Interlocked.Read(ref _cancelledDials);

    /// <summary>Streams still being dialled or bridged.</summary>
    public int ActiveStreams => _running.Count;

    /// <summary>Accepts <paramref name="stream"/>; returns at once, the work runs on the returned task.</summary>
    public Task AcceptAsync(MuxStream stream)
    {
        Interlocked.Increment(ref _accepted);
        Task task = ForwardAsync(stream);
        _running[stream.Id] = task;
        uint id = stream.Id;
        _ = task.ContinueWith(
            t => _running.TryRemove(new KeyValuePair<uint, Task>(id, t)),
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return task;
    }

    /// <summary>Cancels dials in progress (the session is gone) and waits for every stream task.</summary>
    public async Task StopAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_running.Values).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public void Dispose() => _stopping.Dispose();

    private async Task ForwardAsync(MuxStream stream)
    {
        string target = $"{dialer.Host}:{dialer.Port}";
        DialResult dial;
        // A client that connects and leaves at once makes the server reset the stream: the dial is
        // then pointless, and without this it would run up to DIAL_TIMEOUT_SECONDS for nothing.
        using (var cancellation = new DialCancellation(stream, _stopping.Token))
        {
            try
            {
                dial = await dialer.DialAsync(cancellation.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stream.IsReset && !_stopping.IsCancellationRequested)
            {
                long cancelled = Interlocked.Increment(ref _cancelledDials);
                AgentLog.StreamDialCancelled(logger, stream.Id, target, stream.ResetReason?.Message ?? "no reason", cancelled);
                return;
            }
            catch (OperationCanceledException)
            {
                stream.Reset(Protocol.Framing.ErrorCode.Cancel, "the agent's session ended before the target connected");
                return;
            }
        }

        if (!dial.Succeeded)
        {
            AgentLog.StreamDialFailed(logger, stream.Id, target, dial.Error ?? "unknown error", dial.Code);
            stream.Reset(dial.Code, $"the agent could not connect to its target: {dial.Error}");
            return;
        }

        AgentLog.StreamConnected(logger, stream.Id, target);
        BridgeResult result = await SocketBridge.RunAsync(dial.Socket!, stream, bridgeOptions).ConfigureAwait(false);
        AgentLog.StreamEnded(logger, stream.Id, result.Outcome, result.BytesFromSocket, result.BytesToSocket, result.Exception?.Message ?? "-");
    }
}
