using System.Diagnostics;
using System.Net.WebSockets;
using System.Threading.Channels;
using ReverseTunnel.Protocol.Bridging;
using ReverseTunnel.Protocol.Buffers;
using ReverseTunnel.Protocol.FlowControl;
using ReverseTunnel.Protocol.Framing;

namespace ReverseTunnel.Protocol.Multiplexing;

/// <summary>
/// The one task that writes to the WebSocket. It packs every frame that is waiting into one binary
/// message: one message per small frame collapsed 16 streams of 1 KiB writes to 129 MB/s, batching
/// gave ~790 MB/s. Control frames (window updates, resets) go ahead of queued data so that credit
/// reaches the peer without waiting behind a window's worth of bulk data.
/// </summary>
internal sealed class SessionWriter
{
    // Synchronous continuations: when the writer is idle, the thread that queues a frame runs the
    // send itself instead of waking a pool thread. Each hop cost tens of microseconds on an idle
    // 2-core machine, several per round trip.
    private readonly Channel<OutboundFrame> _channel = Channel.CreateUnbounded<OutboundFrame>(
        new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = true });

    private readonly Queue<OutboundFrame> _control = new();
    private readonly Queue<OutboundFrame> _data = new();
    private readonly CreditWindow _sendBudget;
    private readonly CreditWindow _sessionCredit;
    private readonly byte[] _batch;
    private readonly TimeSpan _holdAfterSend;
    private int _pendingControl;
    private long _lastSend;

    public SessionWriter(CreditWindow sendBudget, CreditWindow sessionCredit, int maxMessageSize, int maxFrameSize)
        : this(sendBudget, sessionCredit, maxMessageSize, maxFrameSize, DefaultHoldAfterSend)
    {
    }

    /// <param name="holdAfterSend">See <see cref="DefaultHoldAfterSend"/>; tests widen it to make holding certain.</param>
    public SessionWriter(CreditWindow sendBudget, CreditWindow sessionCredit, int maxMessageSize, int maxFrameSize, TimeSpan holdAfterSend)
    {
        _holdAfterSend = holdAfterSend;
        _sendBudget = sendBudget;
        _sessionCredit = sessionCredit;
        _batch = GC.AllocateUninitializedArray<byte>(Math.Max(maxMessageSize, maxFrameSize));
    }

    /// <summary>
    /// A woken writer holds its frames until the end of the socket engine's event batch
    /// (<see cref="SocketEngineBatch"/>) when it last sent less than this long ago: messages are then
    /// coming faster than one per batch. HTTP keep-alive through the tunnel (wrk -c64, 6 alternating
    /// pairs): median CPU per request −27% in both ws-server and ws-agent, with about one WebSocket
    /// message per seven requests instead of one each (docs/performance.md, change 13). A 64-octet
    /// ping-pong (a round trip takes over 100 µs here) is never held, so its latency is unchanged;
    /// a 1 ms window held no better than 50 µs (3 pairs).
    /// </summary>
    public static readonly TimeSpan DefaultHoldAfterSend = TimeSpan.FromMicroseconds(50);

    /// <summary>
    /// Holding is for small messages: a full DATA frame (32 KiB) gains nothing from company and
    /// would only pay the bell's three system calls.
    /// </summary>
    public const int HoldMaxOctets = 8 * 1024;

    /// <summary>Octets of frames sent so far (for metrics).</summary>
    public long BytesSent { get; private set; }

    /// <summary>RESET and WINDOW_UPDATE frames queued and not yet sent; a peer that makes this grow without reading is cut off.</summary>
    public int PendingControlFrames => Volatile.Read(ref _pendingControl);

    /// <summary>Queues a frame; false when the writer has stopped (the caller still owns any buffer).</summary>
    public bool TryEnqueue(in OutboundFrame frame)
    {
        if (!_channel.Writer.TryWrite(frame))
        {
            return false;
        }

        if (frame.IsReply)
        {
            Interlocked.Increment(ref _pendingControl);
        }

        return true;
    }

    /// <summary>Stops taking frames; <see cref="RunAsync"/> sends what is queued, then returns.</summary>
    public void Complete() => _channel.Writer.TryComplete();

    public async Task RunAsync(WebSocket webSocket, CancellationToken cancellationToken)
    {
        // The wait for frames takes no token: the channel completes its wait asynchronously, on the
        // thread pool, when the wait is cancellable, and that hop per message kept pool threads
        // spinning in sched_yield (half of ws-server's CPU in a 64-octet ping-pong, perf). A
        // cancellation completes the channel instead, which ends the wait just the same.
        //
        // Sends take no token either: a cancellable send costs a registration and ManagedWebSocket's
        // slower path on every message. A cancellation aborts the WebSocket instead, which fails a
        // send stuck on a peer that stopped reading, as cancelling it would.
        using CancellationTokenRegistration cancel = cancellationToken.Register(static s =>
        {
            var (writer, socket) = ((SessionWriter, WebSocket))s!;
            writer.Complete();
            socket.Abort();
        }, (this, webSocket));
        try
        {
            while (true)
            {
                bool woken = false;
                if (_control.Count == 0 && _data.Count == 0)
                {
                    ValueTask<bool> wait = _channel.Reader.WaitToReadAsync(CancellationToken.None);
                    woken = !wait.IsCompleted;
                    if (!await wait.ConfigureAwait(false))
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        return;
                    }
                }

                // Woken by a completion on the socket-engine thread, with messages coming faster than
                // one per batch: hold until the batch's end, so that the frames the batch's other
                // sockets produce leave in this message (see DefaultHoldAfterSend).
                int queued = DrainChannel();
                if (woken && queued <= HoldMaxOctets &&
                    Stopwatch.GetElapsedTime(_lastSend) < _holdAfterSend &&
                    SocketEngineBatch.TryGetCurrent(out SocketEngineBatch? batch))
                {
                    await batch.Yield();
                    DrainChannel();
                }

                await SendBatchAsync(webSocket).ConfigureAwait(false);
            }
        }
        finally
        {
            _channel.Writer.TryComplete();
            DrainAbandoned();
        }
    }

    private int DrainChannel()
    {
        int octets = 0;
        while (_channel.Reader.TryRead(out OutboundFrame frame))
        {
            (frame.InStreamOrder ? _data : _control).Enqueue(frame);
            octets += frame.EncodedLength;
        }

        return octets;
    }

    private async ValueTask SendBatchAsync(WebSocket webSocket)
    {
        _lastSend = Stopwatch.GetTimestamp();
        // A lone DATA frame is sent from its own buffer, saving a copy on bulk transfers.
        if (_control.Count == 0 && _data.Count == 1 && _data.Peek().Buffer is { } lone)
        {
            OutboundFrame frame = _data.Dequeue();
            if (Dropped(frame))
            {
                return;
            }

            new FrameHeader(frame.Length, FrameType.Data, frame.Flags, frame.StreamId).WriteTo(lone);
            await webSocket.SendAsync(lone.AsMemory(0, frame.EncodedLength), WebSocketMessageType.Binary, true, CancellationToken.None).ConfigureAwait(false);
            Sent(frame);
            return;
        }

        int used = 0;
        int charged = 0;
        List<byte[]>? toReturn = null;
        int replies = 0;
        while (_control.TryPeek(out OutboundFrame control) && used + control.EncodedLength <= _batch.Length)
        {
            used += _control.Dequeue().WriteTo(_batch.AsSpan(used));
            replies += control.IsReply ? 1 : 0;
        }

        // DATA only once every queued control frame is out: an OPEN must never trail its stream's DATA.
        while (_control.Count == 0 && _data.TryPeek(out OutboundFrame data) && used + data.EncodedLength <= _batch.Length)
        {
            _data.Dequeue();
            if (Dropped(data))
            {
                continue;
            }

            used += data.WriteTo(_batch.AsSpan(used));
            charged += data.QueueCharge;
            if (data.Buffer is { } buffer)
            {
                (toReturn ??= []).Add(buffer);
            }
        }

        if (used == 0)
        {
            return;
        }

        await webSocket.SendAsync(_batch.AsMemory(0, used), WebSocketMessageType.Binary, true, CancellationToken.None).ConfigureAwait(false);
        Interlocked.Add(ref _pendingControl, -replies);
        BytesSent += used;
        _sendBudget.Release(charged);
        if (toReturn is not null)
        {
            foreach (byte[] buffer in toReturn)
            {
                FrameBufferPool.ReturnShared(buffer);
            }
        }
    }

    /// <summary>
    /// Drops DATA of a stream that was reset meanwhile. The peer will never see those octets, so
    /// their session credit comes back here rather than through a WINDOW_UPDATE.
    /// </summary>
    private bool Dropped(in OutboundFrame frame)
    {
        if (frame.Stream is not { IsReset: true })
        {
            return false;
        }

        _sendBudget.Release(frame.QueueCharge);
        _sessionCredit.Release(frame.Length);
        if (frame.Buffer is { } buffer)
        {
            FrameBufferPool.ReturnShared(buffer);
        }

        return true;
    }

    private void Sent(in OutboundFrame frame)
    {
        BytesSent += frame.EncodedLength;
        _sendBudget.Release(frame.QueueCharge);
        if (frame.Buffer is { } buffer)
        {
            FrameBufferPool.ReturnShared(buffer);
        }
    }

    private void DrainAbandoned()
    {
        while (_channel.Reader.TryRead(out OutboundFrame frame))
        {
            (frame.InStreamOrder ? _data : _control).Enqueue(frame);
        }

        _control.Clear();
        while (_data.TryDequeue(out OutboundFrame frame))
        {
            if (frame.Buffer is { } buffer)
            {
                FrameBufferPool.ReturnShared(buffer);
            }
        }
    }
}
