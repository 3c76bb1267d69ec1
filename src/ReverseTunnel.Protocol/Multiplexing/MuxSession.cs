using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net.WebSockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ReverseTunnel.Protocol.Buffers;
using ReverseTunnel.Protocol.FlowControl;
using ReverseTunnel.Protocol.Framing;

namespace ReverseTunnel.Protocol.Multiplexing;

/// <summary>
/// Many streams over one WebSocket. Two error scopes, as in HTTP/2: a stream error resets one
/// stream and the session reads on; a session error (<see cref="ProtocolException"/>) sends GOAWAY
/// and ends the session, resetting every stream.
/// </summary>
/// <remarks>
/// The server opens odd stream ids, the agent even ones. Each side's first frame is HELLO; no
/// stream is opened before the peer's HELLO has arrived, so the windows are known.
/// </remarks>
public sealed partial class MuxSession : IAsyncDisposable
{
    // Receive buffer grown in steps of this size; a WebSocket read fills at most this much. 64 KiB
    // takes a whole message (frames are batched up to MaxMessageSize, 64 KiB by default) in one
    // read; 16 KiB took three reads per message of bulk data. Held only while octets are unparsed.
    private const int ReceiveChunk = 64 * 1024;

    // GOAWAY reasons are cut to this many UTF-8 octets; the smallest frame limit is 1 KiB.
    private const int MaxReasonBytes = 512;

    // Control frames owed to the peer (~13 octets each) beyond which it is deemed not to read: 16,384
    // frames is ~200 KiB, far above what a well-behaved peer ever causes.
    private const int MaxPendingControlFrames = 16_384;

    private static readonly PipeOptions ReceivePipeOptions = new(
        pauseWriterThreshold: 0, resumeWriterThreshold: 0, minimumSegmentSize: ReceiveChunk, useSynchronizationContext: false);

    // Reads shorter than this travel in small buffers, so a queue of tiny frames pins little memory.
    private const int SmallBufferSize = 4096;

    // SslStream encrypts a write in chunks of 32 KiB (two 16 KiB records) and hands each chunk to the
    // socket in one send: a message of 32 KiB + 13 octets went out as two sends (32,812 and 35 octets,
    // strace under iperf3). A frame read from a socket is sized so that its message fits one chunk.
    private const int TlsWriteChunk = 32 * 1024;

    // The WebSocket header of a message under 64 KiB: 2 octets, 2 of extended length, 4 of mask (agent to server).
    private const int MaxWebSocketHeader = 8;

    private const int SocketReadBudget = TlsWriteChunk - MaxWebSocketHeader - FrameHeader.Size;

    private static readonly FrameBufferPool SmallPool = FrameBufferPool.ForSize(SmallBufferSize);

    private readonly FrameBufferPool _largePool;
    private readonly WebSocket _webSocket;
    private readonly MuxSessionOptions _options;
    private readonly bool _isServer;
    private readonly Func<MuxStream, Task>? _acceptStream;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<uint, MuxStream> _streams = new();
    private readonly SessionWriter _writer;
    private readonly CancellationTokenSource _abort = new();
    private readonly TaskCompletionSource<HelloSettings> _peerHello = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<SessionEnd> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly WindowUpdateBatcher _sessionBatcher;
    private readonly object _openLock = new();
    private long _receiveCredit;
    // Octets by which live streams' receive windows have grown past the initial window. At most half
    // the session window, so that streams whose readers stopped after their windows grew hold at
    // most that half beyond their initial windows, and the other half still serves the rest.
    private long _grownWindows;
    private uint _nextStreamId;
    private uint _highestPeerStreamId;
    private int _localStreams;
    private int _peerStreams;
    // An int for Interlocked.Exchange: its full fence orders "GOAWAY sent" before CloseAsync's look
    // at the stream table, so OnStreamClosed (which reads the flag after removing) cannot miss the drain.
    private int _goAwaySentFlag;
    private volatile bool _goAwayReceived;
    private (ErrorCode Code, string Reason) _peerGoAway;
    private SessionEnd? _end;
    private int _started;
    private int _sendFramePayload;

    /// <summary>Creates a session over an open WebSocket. Call <see cref="RunAsync"/> to start it.</summary>
    /// <param name="webSocket">An open WebSocket; the session owns it from now on.</param>
    /// <param name="options">Windows and limits; validated by the caller.</param>
    /// <param name="isServer">True on ws-server (opens odd stream ids).</param>
    /// <param name="acceptStream">
    /// Called on the read loop for each stream the peer opens; it must return quickly and do its work
    /// on the task it returns. Null refuses every peer-opened stream.
    /// </param>
    /// <param name="logger">Logger for session events.</param>
    /// <param name="name">A short name for log lines (never a secret).</param>
    public MuxSession(WebSocket webSocket, MuxSessionOptions options, bool isServer, Func<MuxStream, Task>? acceptStream = null, ILogger? logger = null, string? name = null)
    {
        _webSocket = webSocket;
        _options = options;
        _isServer = isServer;
        _acceptStream = acceptStream;
        _logger = logger ?? NullLogger.Instance;
        Name = name ?? (isServer ? "server" : "agent");
        _nextStreamId = isServer ? 1u : 2u;
        _receiveCredit = options.SessionWindow;
        _sessionBatcher = new WindowUpdateBatcher(options.SessionWindow);
        _largePool = FrameBufferPool.ForSize(FrameHeader.Size + options.MaxFramePayload);
        SendCredit = new CreditWindow(0);
        SendQueue = new CreditWindow(options.SendQueueLimit);
        SendFramePayload = options.MaxFramePayload;
        _writer = new SessionWriter(SendQueue, SendCredit, options.MaxMessageSize, _largePool.BufferSize);

        // HELLO is queued first, before anything else can be: even a session closed before it runs
        // sends HELLO ahead of its GOAWAY, as the peer requires.
        byte[] hello = new byte[HelloSettings.EncodedLength];
        options.ToHello().WriteTo(hello);
        _writer.TryEnqueue(OutboundFrame.Hello(hello));
    }

    /// <summary>The name used in log lines.</summary>
    public string Name { get; }

    /// <summary>Streams currently open, in both directions.</summary>
    public int ActiveStreams => _streams.Count;

    /// <summary>The peer's HELLO settings once received.</summary>
    public HelloSettings? PeerSettings => _peerHello.Task.IsCompletedSuccessfully ? _peerHello.Task.Result : null;

    /// <summary>Completes when the session has ended, with the reason.</summary>
    public Task<SessionEnd> Completion => _completion.Task;

    /// <summary>Octets written to the WebSocket so far.</summary>
    public long BytesSent => _writer.BytesSent;

    /// <summary>Octets read from the WebSocket so far.</summary>
    public long BytesReceived { get; private set; }

    /// <summary>The pool for a frame of <paramref name="payloadLength"/> octets: small or full-sized buffers.</summary>
    internal FrameBufferPool PoolFor(int payloadLength) =>
        payloadLength + FrameHeader.Size <= SmallBufferSize ? SmallPool : _largePool;

    /// <summary>
    /// What a queued frame costs in the send queue: the buffer it pins, capped at half the queue so
    /// that any frame fits even with the largest frame size.
    /// </summary>
    internal int QueueChargeOf(byte[] buffer) => Math.Min(buffer.Length, _options.SendQueueLimit / 2);

    /// <summary>The peer's session window: what we may still send to it.</summary>
    internal CreditWindow SendCredit { get; }

    /// <summary>Bound on DATA octets waiting in our send queue.</summary>
    internal CreditWindow SendQueue { get; }

    internal int SendFramePayload
    {
        get => _sendFramePayload;
        private set
        {
            _sendFramePayload = value;
            SocketReadSize = Math.Min(value, SocketReadBudget);
        }
    }

    /// <summary>
    /// Most octets one socket read puts into a DATA frame: the frame size, or less, so that the frame
    /// and its WebSocket header fill exactly one <see cref="TlsWriteChunk"/>.
    /// </summary>
    internal int SocketReadSize { get; private set; }

    /// <summary>
    /// Runs the session until it ends: sends HELLO, then reads frames while the writer task sends.
    /// Never throws for network or protocol failures; the result says what happened.
    /// </summary>
    public async Task<SessionEnd> RunAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("A session runs once.");
        }

        Task writerTask = RunWriterAsync();
        using CancellationTokenRegistration external = cancellationToken.Register(
            static s => ((MuxSession)s!).Abort(ErrorCode.Cancel, "the session was cancelled"), this);
        using var helloTimer = new Timer(
            static s => ((MuxSession)s!).OnHelloTimeout(), this, _options.HelloTimeout, Timeout.InfiniteTimeSpan);

        try
        {
            await ReadLoopAsync().ConfigureAwait(false);
        }
        catch (ProtocolException ex)
        {
            SessionLog.ProtocolViolation(_logger, Name, ex.Code, ex.Message);
            SetEnd(new SessionEnd(SessionEndReason.ProtocolError, ex.Code, ex.Message, ex));
            SendGoAway(ex.Code, ex.Message);
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            SetEnd(new SessionEnd(SessionEndReason.TransportFailure, ErrorCode.ConnectionReset, DescribeTransportFailure(ex), ex));
        }

        string reason = _end?.Message ?? "session ended";
        foreach (MuxStream stream in _streams.Values)
        {
            stream.OnSessionLost(reason);
        }

        _peerHello.TrySetException(new SessionClosedException($"The session ended before the peer's HELLO: {reason}"));
        SendCredit.Close(new SessionClosedException($"The session ended: {reason}"));
        SendQueue.Close(new SessionClosedException($"The session ended: {reason}"));
        _writer.Complete();
        await FinishWriterAsync(writerTask).ConfigureAwait(false);
        await CloseTransportAsync().ConfigureAwait(false);
        _drained.TrySetResult();
        _completion.TrySetResult(_end!);
        return _end!;
    }

    /// <summary>
    /// Opens a stream. DATA may be written to it at once: the OPEN frame goes first and the peer holds
    /// early data within the window until its side is ready, so opening costs no round trip.
    /// </summary>
    /// <exception cref="SessionClosedException">The session is closing, closed or at the peer's stream limit.</exception>
    public async ValueTask<MuxStream> OpenStreamAsync(CancellationToken cancellationToken = default)
    {
        HelloSettings peer = await _peerHello.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        lock (_openLock)
        {
            if (_end is not null || GoAwaySent || _goAwayReceived)
            {
                throw new SessionClosedException(_goAwayReceived
                    ? $"The peer is going away ({_peerGoAway.Code}: {_peerGoAway.Reason}); no new streams."
                    : "The session is closing; no new streams.");
            }

            if (_localStreams >= peer.MaxConcurrentStreams)
            {
                throw new SessionClosedException($"The peer allows at most {peer.MaxConcurrentStreams} concurrent streams.");
            }

            if (_nextStreamId > FrameHeader.MaxStreamId)
            {
                // 2^30 streams used: the agent must reconnect to start over, so say goodbye cleanly.
                _ = CloseAsync(ErrorCode.NoError, "stream identifiers are exhausted; reconnect", TimeSpan.FromSeconds(30));
                throw new SessionClosedException("Stream identifiers are exhausted; the session is closing so that the agent reconnects.");
            }

            uint id = _nextStreamId;
            _nextStreamId += 2;
            var stream = new MuxStream(this, id, peer.InitialStreamWindow, _options.InitialStreamWindow);
            _streams[id] = stream;
            _localStreams++;

            // Inside the lock so that OPEN frames leave in id order.
            _writer.TryEnqueue(OutboundFrame.Open(id));
            return stream;
        }
    }

    /// <summary>
    /// Closes the session: GOAWAY first (no new streams), then waits up to <paramref name="drainTimeout"/>
    /// for open streams to finish, resets the rest with <see cref="ErrorCode.Shutdown"/>, and closes
    /// the WebSocket. Returns when the session has ended.
    /// </summary>
    public async Task<SessionEnd> CloseAsync(ErrorCode code, string reason, TimeSpan drainTimeout)
    {
        SetEnd(new SessionEnd(SessionEndReason.LocalClose, code, reason));
        SendGoAway(code, reason);
        if (_streams.IsEmpty)
        {
            _drained.TrySetResult();
        }

        if (drainTimeout > TimeSpan.Zero)
        {
            await Task.WhenAny(_drained.Task, Task.Delay(drainTimeout)).ConfigureAwait(false);
        }

        foreach (MuxStream stream in _streams.Values)
        {
            stream.Reset(ErrorCode.Shutdown, $"Stream {stream.Id} did not finish within the {drainTimeout.TotalSeconds:0.#} s drain timeout.");
        }

        _writer.Complete();
        if (_started == 0)
        {
            _completion.TrySetResult(_end!);
        }

        // The writer flushes GOAWAY and the resets, then the transport is closed and the read loop ends.
        Task finished = await Task.WhenAny(_completion.Task, Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false);
        if (finished != _completion.Task)
        {
            _abort.Cancel();
        }

        return await _completion.Task.ConfigureAwait(false);
    }

    /// <summary>Ends the session at once: best-effort GOAWAY, then the transport is aborted.</summary>
    public void Abort(ErrorCode code, string reason)
    {
        SetEnd(new SessionEnd(SessionEndReason.LocalClose, code, reason));
        SendGoAway(code, reason);
        _writer.Complete();
        _ = Task.Delay(TimeSpan.FromSeconds(1)).ContinueWith(static (_, s) => ((MuxSession)s!).CancelAbort(), this, TaskScheduler.Default);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (!_completion.Task.IsCompleted)
        {
            Abort(ErrorCode.NoError, "disposed");
            if (_started != 0)
            {
                await _completion.Task.ConfigureAwait(false);
            }
        }

        _abort.Dispose();
    }

    internal void EnqueueData(MuxStream stream, byte[] buffer, int length, int queueCharge)
    {
        if (!_writer.TryEnqueue(OutboundFrame.Data(stream, buffer, length, endStream: false, queueCharge)))
        {
            FrameBufferPool.ReturnShared(buffer);
        }
    }

    internal void EnqueueFin(MuxStream stream) => _writer.TryEnqueue(OutboundFrame.Data(stream, null, 0, endStream: true, queueCharge: 0));

    internal void EnqueueReset(uint streamId, ErrorCode code) => _writer.TryEnqueue(OutboundFrame.Reset(streamId, code));

    internal void EnqueueWindowUpdate(uint streamId, int increment) => _writer.TryEnqueue(OutboundFrame.WindowUpdate(streamId, increment));

    internal void EnqueueBlocked(MuxStream stream) => _writer.TryEnqueue(OutboundFrame.Blocked(stream));

    /// <summary>The most a stream's receive window grows to (<see cref="MuxSessionOptions.MaxStreamWindow"/>).</summary>
    internal int StreamWindowLimit => _options.StreamWindowLimit;

    /// <summary>Takes up to <paramref name="wanted"/> octets of the session's budget for grown windows; returns what it took.</summary>
    internal int TakeWindowGrowth(int wanted)
    {
        long budget = _options.SessionWindow / 2;
        while (true)
        {
            long used = Volatile.Read(ref _grownWindows);
            long granted = Math.Min(wanted, budget - used);
            if (granted <= 0)
            {
                return 0;
            }

            if (Interlocked.CompareExchange(ref _grownWindows, used + granted, used) == used)
            {
                return (int)granted;
            }
        }
    }

    /// <summary>Gives the peer back session credit for octets consumed or discarded.</summary>
    internal void ReturnSessionCredit(int count)
    {
        // Credit goes back at once when the peer is nearly out of it; waiting for a full batch then
        // could leave it with too little to ever send the data that would complete the batch.
        bool urgent = Interlocked.Read(ref _receiveCredit) < _sessionBatcher.Threshold;
        if (count > 0 && _sessionBatcher.Add(count, urgent) is > 0 and int increment)
        {
            Interlocked.Add(ref _receiveCredit, increment);
            EnqueueWindowUpdate(0, increment);
        }
    }

    internal void OnStreamClosed(MuxStream stream)
    {
        if (!_streams.TryRemove(new KeyValuePair<uint, MuxStream>(stream.Id, stream)))
        {
            return;
        }

        // A closed stream's window grows no more (MuxStream.OnPeerBlocked checks under its lock).
        if (stream.ReceiveWindow - _options.InitialStreamWindow is > 0 and int grown)
        {
            Interlocked.Add(ref _grownWindows, -grown);
        }

        if (IsLocalId(stream.Id))
        {
            lock (_openLock)
            {
                _localStreams--;
            }
        }
        else
        {
            Interlocked.Decrement(ref _peerStreams);
        }

        if (_streams.IsEmpty && (GoAwaySent || _end is not null))
        {
            _drained.TrySetResult();
        }
    }

    private bool GoAwaySent => Volatile.Read(ref _goAwaySentFlag) != 0;

    private bool IsLocalId(uint id) => (id & 1) == (_isServer ? 1u : 0u);

    private void SetEnd(SessionEnd end)
    {
        lock (_openLock)
        {
            _end ??= end;
        }
    }

    private void SendGoAway(ErrorCode code, string reason)
    {
        if (Interlocked.Exchange(ref _goAwaySentFlag, 1) != 0)
        {
            return;
        }

        // Cut by characters, so that the octets stay valid UTF-8.
        while (Encoding.UTF8.GetByteCount(reason) > MaxReasonBytes)
        {
            reason = reason[..(reason.Length - 1)];
        }

        byte[] bytes = Encoding.UTF8.GetBytes(reason);

        _writer.TryEnqueue(OutboundFrame.GoAway(_highestPeerStreamId, code, bytes));
    }

    private void OnHelloTimeout()
    {
        if (!_peerHello.Task.IsCompleted)
        {
            SetEnd(new SessionEnd(SessionEndReason.ProtocolError, ErrorCode.Timeout,
                $"The peer sent no HELLO within {_options.HelloTimeout.TotalSeconds:0.#} s."));
            SendGoAway(ErrorCode.Timeout, "no HELLO received in time");
            _writer.Complete();
            _ = Task.Delay(TimeSpan.FromSeconds(1)).ContinueWith(static (_, s) => ((MuxSession)s!).CancelAbort(), this, TaskScheduler.Default);
        }
    }

    private void CancelAbort()
    {
        try
        {
            _abort.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task RunWriterAsync()
    {
        try
        {
            await _writer.RunAsync(_webSocket, _abort.Token).ConfigureAwait(false);
            if (_end is not null)
            {
                // Everything (GOAWAY included) is flushed: close our direction so the peer's read ends.
                await CloseTransportAsync().ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            SetEnd(new SessionEnd(SessionEndReason.TransportFailure, ErrorCode.ConnectionReset, DescribeTransportFailure(ex), ex));
        }
        finally
        {
            // Whatever stopped the writer, the reader must stop too.
            if (_end is not null)
            {
                _ = Task.Delay(TimeSpan.FromSeconds(2)).ContinueWith(static (_, s) => ((MuxSession)s!).CancelAbort(), this, TaskScheduler.Default);
            }
        }
    }

    private async Task FinishWriterAsync(Task writerTask)
    {
        if (await Task.WhenAny(writerTask, Task.Delay(TimeSpan.FromSeconds(2))).ConfigureAwait(false) != writerTask)
        {
            CancelAbort();
        }

        await writerTask.ConfigureAwait(false);
    }

    private async Task CloseTransportAsync()
    {
        try
        {
            if (_webSocket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                WebSocketCloseStatus status = _end?.Reason == SessionEndReason.ProtocolError
                    ? WebSocketCloseStatus.ProtocolError
                    : WebSocketCloseStatus.NormalClosure;
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _webSocket.CloseOutputAsync(status, null, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The transport is already gone; nothing more to tell the peer.
        }

        if (_webSocket.State is WebSocketState.Closed or WebSocketState.Aborted || _completion.Task.IsCompleted)
        {
            return;
        }
    }

    private static string DescribeTransportFailure(Exception ex) => ex switch
    {
        OperationCanceledException => "the connection was closed",
        WebSocketException { WebSocketErrorCode: WebSocketError.ConnectionClosedPrematurely } => "the connection closed without a WebSocket close handshake",
        _ => ex.InnerException is { } inner ? $"{ex.Message} ({inner.Message})" : ex.Message,
    };
}
