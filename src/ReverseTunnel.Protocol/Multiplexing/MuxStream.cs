using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using ReverseTunnel.Protocol.FlowControl;
using ReverseTunnel.Protocol.Framing;

namespace ReverseTunnel.Protocol.Multiplexing;

/// <summary>
/// One TCP connection carried over a session: a pair of byte streams, each closed on its own by
/// FIN (<see cref="CompleteWrites"/>) or both at once, abortively, by RESET (<see cref="Reset"/>).
/// </summary>
/// <remarks>
/// Stream states, per direction: open → FIN (clean end) or → reset. The stream is removed from its
/// session when FIN has been sent and received and the input has been read to its end, or at the
/// first reset. Writes must come from one caller at a time; reads likewise.
/// </remarks>
public sealed partial class MuxStream
{
    private static readonly PipeOptions InboundPipeOptions = new(
        readerScheduler: PipeScheduler.Inline, // The consumer runs on the read loop: no thread hop per frame.
        pauseWriterThreshold: 0, // Never block the session's read loop: credit already bounds what can arrive.
        resumeWriterThreshold: 0,
        minimumSegmentSize: 16 * 1024,
        useSynchronizationContext: false);

    private readonly MuxSession _session;
    private readonly CreditWindow _sendCredit;
    private readonly Pipe _inbound = new(InboundPipeOptions);
    private readonly WindowUpdateBatcher _receiveBatcher;
    // Continuations run where the stream ends, after its state is settled and no lock is held: each
    // one handed to the pool instead woke a pool thread per connection, and idle pool threads spun
    // in sched_yield (about a fifth of both processes' CPU at 2,300 new connections/s, perf).
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.None);
    private readonly object _lock = new();
    private long _receiveCredit;
    private int _receiveWindow;
    private long _buffered;
    private bool _finSent;
    private bool _finReceived;
    private bool _inputDone;
    private bool _closed;
    private bool _writerOwnedByReadLoop;
    private bool _writerCompleted;
    private volatile StreamResetException? _reset;

    internal MuxStream(MuxSession session, uint id, int sendWindow, int receiveWindow)
    {
        _session = session;
        Id = id;
        _sendCredit = new CreditWindow(sendWindow);
        _receiveCredit = receiveWindow;
        _receiveWindow = receiveWindow;
        _receiveBatcher = new WindowUpdateBatcher(receiveWindow);
        Input = new StreamInput(this, _inbound.Reader);
    }

    /// <summary>Stream identifier: odd when the server opened it, even when the agent did.</summary>
    public uint Id { get; }

    /// <summary>Bytes from the peer. Completes at the peer's FIN; throws <see cref="StreamResetException"/> on reset.</summary>
    public PipeReader Input { get; }

    /// <summary>Completes when the stream is finished, cleanly or by reset.</summary>
    public Task Completion => _completion.Task;

    /// <summary>The reset that ended the stream, or null.</summary>
    public StreamResetException? ResetReason => _reset;

    /// <summary>
    /// Cancelled when the stream is reset (by either side or by losing the session). Its callbacks
    /// run on the thread that resets the stream, which may be the session's read loop: keep them short.
    /// </summary>
    public CancellationToken ResetToken => AbortToken();

    /// <summary>True once the stream was reset (by either side or by losing the session).</summary>
    public bool IsReset => _reset is not null;

    /// <summary>The window this side grants the peer on this stream now: the initial one, or more once grown.</summary>
    public int ReceiveWindow => Volatile.Read(ref _receiveWindow);

    /// <summary>Octets received but not yet read by the consumer (for tests and metrics).</summary>
    public long BufferedBytes => Interlocked.Read(ref _buffered);

    /// <summary>Half-closes: sends FIN after everything written so far. Idempotent.</summary>
    public void CompleteWrites()
    {
        lock (_lock)
        {
            if (_finSent || _reset is not null)
            {
                return;
            }

            _finSent = true;
        }

        _session.EnqueueFin(this);
        TryClose();
    }

    /// <summary>Aborts both directions and tells the peer with RESET. Idempotent.</summary>
    public void Reset(ErrorCode code, string? message = null)
    {
        if (Abort(new StreamResetException(code, message ?? $"Stream {Id} was reset locally ({code}).", byPeer: false)))
        {
            _session.EnqueueReset(Id, code);
        }
    }

    internal void ThrowIfReset()
    {
        if (_reset is { } reset)
        {
            throw reset;
        }
    }

    /// <summary>Called by the session's read loop, the only writer of the input pipe.</summary>
    /// <remarks>
    /// No lock is held while the pipe is written or flushed: the reader runs inline on the flush
    /// (<see cref="InboundPipeOptions"/>), and a bridge that calls back into this stream under its own
    /// lock would otherwise deadlock with it (seen as a hung iperf3 -P 8 run through the tunnel).
    /// </remarks>
    internal void OnData(in ReadOnlySequence<byte> payload, bool endStream)
    {
        int length = (int)payload.Length;
        (ErrorCode Code, string Message)? violation = null;
        bool accepted = false;
        lock (_lock)
        {
            if (_reset is not null || _inputDone)
            {
                // Dropped below; its credit comes back.
            }
            else if (_finReceived)
            {
                violation = (ErrorCode.ProtocolError, $"Stream {Id} received DATA after the peer's FIN.");
            }
            else if (length > _receiveCredit)
            {
                violation = (ErrorCode.FlowControlError, $"Stream {Id} received {length} octets with only {_receiveCredit} of credit.");
            }
            else
            {
                accepted = true;
                _receiveCredit -= length;
                _buffered += length;
                _finReceived = endStream;
                _writerOwnedByReadLoop = true; // Abort leaves completing the pipe to us meanwhile.
            }
        }

        if (!accepted)
        {
            _session.ReturnSessionCredit(length);
            if (violation is { } v)
            {
                Reset(v.Code, v.Message);
            }

            return;
        }

        PipeWriter writer = _inbound.Writer;
        foreach (ReadOnlyMemory<byte> segment in payload)
        {
            writer.Write(segment.Span);
        }

        // With pauseWriterThreshold 0 a flush never waits, so the read loop never blocks here.
        ValueTask<FlushResult> flush = writer.FlushAsync();
        Debug.Assert(flush.IsCompleted, "The input pipe must never pause its writer (pauseWriterThreshold 0).");
        flush.GetAwaiter().GetResult();
        if (endStream)
        {
            writer.Complete();
        }

        StreamResetException? resetMeanwhile;
        lock (_lock)
        {
            _writerOwnedByReadLoop = false;
            resetMeanwhile = endStream || _writerCompleted ? null : _reset;
            _writerCompleted |= endStream || resetMeanwhile is not null;
        }

        if (resetMeanwhile is not null)
        {
            writer.Complete(resetMeanwhile);
        }

        if (endStream)
        {
            TryClose();
        }
    }

    internal void OnWindowUpdate(int increment)
    {
        Volatile.Write(ref _blockedSignalled, 0);
        if (!_sendCredit.TryAdd(increment))
        {
            Reset(ErrorCode.FlowControlError, $"Stream {Id} window passed 2^31-1.");
        }
    }

    /// <summary>
    /// The peer has data for this stream and no credit. If the reader keeps up (less than half the
    /// window waits for it), the window, not the reader, limits the stream: it doubles, up to
    /// <see cref="MuxSessionOptions.MaxStreamWindow"/> and within the session's budget for grown
    /// windows, and the difference is granted at once. A reader that stopped has three quarters of
    /// its window or more unread when BLOCKED comes (it follows the DATA that used the credit), so
    /// its window does not grow.
    /// </summary>
    internal void OnPeerBlocked()
    {
        int grown, increase;
        lock (_lock)
        {
            if (_reset is not null || _closed || _finReceived || _inputDone ||
                _receiveWindow >= _session.StreamWindowLimit || _buffered >= _receiveWindow / 2)
            {
                return;
            }

            increase = _session.TakeWindowGrowth(Math.Min(_receiveWindow, _session.StreamWindowLimit - _receiveWindow));
            if (increase == 0)
            {
                return;
            }

            grown = _receiveWindow += increase;
            _receiveCredit += increase;
        }

        _receiveBatcher.Resize(grown);
        _session.EnqueueWindowUpdate(Id, increase);
    }

    internal void OnPeerReset(ErrorCode code) =>
        Abort(new StreamResetException(code, $"Stream {Id} was reset by the peer ({code}).", byPeer: true));

    /// <summary>Aborts without telling the peer: the session is gone.</summary>
    internal void OnSessionLost(string reason) =>
        Abort(new StreamResetException(ErrorCode.ConnectionReset, $"Stream {Id} was lost with its session: {reason}", byPeer: false));

    internal void OnConsumed(int count)
    {
        bool sendStreamUpdate;
        lock (_lock)
        {
            if (_reset is not null)
            {
                return; // Its buffered octets were credited back when it was reset.
            }

            _buffered -= count;
            sendStreamUpdate = !_finReceived;
        }

        _session.ReturnSessionCredit(count);
        bool urgent = Interlocked.Read(ref _receiveCredit) < _receiveBatcher.Threshold;
        if (sendStreamUpdate && _receiveBatcher.Add(count, urgent) is > 0 and int increment)
        {
            lock (_lock)
            {
                _receiveCredit += increment;
            }

            _session.EnqueueWindowUpdate(Id, increment);
        }
    }

    internal void OnInputCompleted()
    {
        bool early;
        long unread = 0;
        lock (_lock)
        {
            if (_inputDone)
            {
                return;
            }

            _inputDone = true;
            early = !_finReceived && _reset is null;
            if (_reset is null)
            {
                // Octets left unread will never be consumed: their session credit goes back now.
                unread = _buffered;
                _buffered = 0;
            }
        }

        _session.ReturnSessionCredit((int)unread);

        if (early)
        {
            // The consumer stopped reading before the peer finished: the peer must stop sending.
            Reset(ErrorCode.Cancel, $"Stream {Id}: the reader stopped before the end of the data.");
            return;
        }

        TryClose();
    }

    private bool Abort(StreamResetException reason)
    {
        long buffered;
        bool completeWriter;
        lock (_lock)
        {
            if (_reset is not null || _closed)
            {
                return false;
            }

            _reset = reason;
            _closed = true;
            buffered = _buffered;
            _buffered = 0;

            // Only one thread may touch the pipe's writer: if the read loop is writing, it completes it.
            completeWriter = !_writerOwnedByReadLoop && !_writerCompleted;
            _writerCompleted |= completeWriter;
        }

        _session.ReturnSessionCredit((int)buffered);
        _sendCredit.Close(reason);
        CancelWaiters();
        _inbound.Reader.CancelPendingRead();
        if (completeWriter)
        {
            _inbound.Writer.Complete(reason);
        }
        _session.OnStreamClosed(this);
        _completion.TrySetResult();
        return true;
    }

    private void TryClose()
    {
        lock (_lock)
        {
            if (_closed || !_finSent || !_finReceived || !_inputDone)
            {
                return;
            }

            _closed = true;
        }

        _sendCredit.Close(
            static s => new StreamResetException(ErrorCode.NoError, $"Stream {((MuxStream)s).Id} is closed.", byPeer: false), this);
        _session.OnStreamClosed(this);
        _completion.TrySetResult();
    }
}
