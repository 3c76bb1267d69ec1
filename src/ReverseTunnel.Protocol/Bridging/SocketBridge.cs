using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.InteropServices;
using System.Net.Sockets;
using ReverseTunnel.Protocol.Framing;
using ReverseTunnel.Protocol.Multiplexing;

namespace ReverseTunnel.Protocol.Bridging;

/// <summary>
/// Joins a TCP socket to a stream, both ways, with TCP's meaning kept: a FIN from either side
/// becomes a half-close on the other, and any failure becomes a reset (RST via linger 0) on the
/// other side, never a FIN that could pass for a complete response.
/// </summary>
public static class SocketBridge
{
    /// <summary>Runs until both directions end. Disposes <paramref name="socket"/>. Never throws.</summary>
    public static Task<BridgeResult> RunAsync(Socket socket, MuxStream stream, CancellationToken cancellationToken = default) =>
        RunAsync(socket, stream, SocketBridgeOptions.Default, cancellationToken);

    /// <summary>Runs until both directions end, with <paramref name="options"/>. Disposes <paramref name="socket"/>. Never throws.</summary>
    public static async Task<BridgeResult> RunAsync(Socket socket, MuxStream stream, SocketBridgeOptions? options, CancellationToken cancellationToken = default)
    {
        options ??= SocketBridgeOptions.Default;
        var state = new BridgeState(socket, stream, options.IdleTimeout > TimeSpan.Zero ? options.TimeProvider : null);

        // While the bridge runs, an abortive close is the default: if this process dies (OOM kill,
        // crash), the kernel then resets the connection instead of sending a FIN that would make a
        // truncated transfer look complete. A clean end turns lingering back on just before closing.
        if (!options.SocketsCloseWithReset)
        {
            SetLinger(socket, abortive: true);
        }

        using CancellationTokenRegistration cancel = cancellationToken.Register(static s => ((BridgeState)s!).Fail(BridgeOutcome.Cancelled, ErrorCode.Cancel, null), state);

        // A reset that arrives after one direction has finished must still tear the socket down.
        _ = stream.Completion.ContinueWith(static (_, s) => ((BridgeState)s!).OnStreamDone(), state, CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

        // Without an idle timeout (the default) no watchdog runs, and nothing is allocated for one.
        using CancellationTokenSource? watchdogStop = state.Clock is null ? null : new CancellationTokenSource();
        Task watchdog = watchdogStop is null ? Task.CompletedTask : IdleWatchdogAsync(state, options.IdleTimeout, watchdogStop.Token);
        Task upload = state.Clock is null ? SocketToStreamAsync(state) : SocketToStreamCountingAsync(state);
        Task download = StreamToSocketAsync(state);
        await Task.WhenAll(upload, download).ConfigureAwait(false);
        if (watchdogStop is not null)
        {
            await watchdogStop.CancelAsync().ConfigureAwait(false);
            await watchdog.ConfigureAwait(false);
        }

        return state.Finish();
    }

    /// <summary>
    /// Resets both sides once no octet has moved for <paramref name="timeout"/>. Wakes up every
    /// quarter of the timeout (at most every second, at least every minute) rather than re-arming a
    /// timer per octet: a busy stream must not pay for the watchdog.
    /// </summary>
    private static async Task IdleWatchdogAsync(BridgeState state, TimeSpan timeout, CancellationToken stop)
    {
        TimeProvider clock = state.Clock!;
        TimeSpan tick = TimeSpan.FromTicks(Math.Clamp(timeout.Ticks / 4, TimeSpan.TicksPerSecond / 10, TimeSpan.TicksPerMinute));
        try
        {
            while (true)
            {
                TimeSpan idle = clock.GetElapsedTime(state.LastActivity);
                if (idle >= timeout)
                {
                    state.Fail(BridgeOutcome.IdleTimeout, ErrorCode.Timeout,
                        new TimeoutException($"no octet moved either way for {timeout.TotalSeconds:0.#} s (idle stream timeout)"));
                    return;
                }

                TimeSpan wait = timeout - idle < tick ? timeout - idle : tick;
                await Task.Delay(wait, clock, stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Both directions ended first.
        }
    }

    /// <summary>
    /// The socket-to-stream direction when the idle timeout is on: the same as
    /// <see cref="MuxStream.SendFromSocketAsync"/> (an idle socket holds no buffer: it waits with a
    /// zero-byte receive) but it records activity, at the price of one copy per read.
    /// </summary>
    private static async Task SocketToStreamCountingAsync(BridgeState state)
    {
        byte[]? buffer = null;
        try
        {
            while (true)
            {
                if (state.Socket.Available == 0)
                {
                    await state.Socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
                }

                buffer ??= System.Buffers.ArrayPool<byte>.Shared.Rent(16 * 1024);
                int read = await state.Socket.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                state.Touch();
                await state.Stream.WriteAsync(buffer.AsMemory(0, read)).ConfigureAwait(false);
                state.BytesFromSocket += read;
                state.Touch();
                if (state.Socket.Available == 0)
                {
                    // Idle from here on: hand the buffer back rather than pin it while waiting.
                    System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
                    buffer = null;
                }
            }

            state.OnSocketEndOfFile();
        }
        catch (Exception ex)
        {
            state.OnException(ex);
        }
        finally
        {
            if (buffer is not null)
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private static async Task SocketToStreamAsync(BridgeState state)
    {
        try
        {
            state.BytesFromSocket = await state.Stream.SendFromSocketAsync(state.Socket).ConfigureAwait(false);
            state.OnSocketEndOfFile();
        }
        catch (Exception ex)
        {
            state.OnException(ex);
        }
    }

    private static async Task StreamToSocketAsync(BridgeState state)
    {
        PipeReader input = state.Stream.Input;
        try
        {
            List<ArraySegment<byte>>? gather = null;
            while (true)
            {
                ReadResult result = await input.ReadAsync().ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                if (!buffer.IsSingleSegment && TryGather(buffer, gather ??= []))
                {
                    // One sendmsg for the whole buffer: a 32 KiB frame spans two 16 KiB pipe
                    // segments, and each send is a system call (two per frame before, strace).
                    int sent = await state.Socket.SendAsync(gather, SocketFlags.None).ConfigureAwait(false);
                    gather.Clear();
                    state.Touch();
                    state.BytesToSocket += sent;
                    buffer = buffer.Slice(sent);
                }

                foreach (ReadOnlyMemory<byte> segment in buffer)
                {
                    int sent = 0;
                    while (sent < segment.Length)
                    {
                        sent += await state.Socket.SendAsync(segment[sent..], SocketFlags.None).ConfigureAwait(false);
                        state.Touch();
                    }

                    state.BytesToSocket += segment.Length;
                }

                input.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    // The peer's FIN, after every byte before it: half-close our sending side.
                    state.SendingDone = true;
                    if (!state.ReceivingDone)
                    {
                        state.Socket.Shutdown(SocketShutdown.Send);
                    }

                    // Otherwise the socket's peer has sent its FIN already and the bridge is about to
                    // close the socket cleanly (Finish), which sends ours: nothing unread can be left
                    // to turn the close into a reset. One system call per connection less where the
                    // target ends first, as an HTTP server with Connection: close does. A failure in
                    // the moment before that close now shows as RST alone, not FIN and then RST.
                    await input.CompleteAsync().ConfigureAwait(false);
                    return;
                }

                if (result.IsCanceled)
                {
                    state.Stream.ThrowIfReset();
                }
            }
        }
        catch (Exception ex)
        {
            state.OnException(ex);
        }
    }

    /// <summary>The buffer's segments as arrays, for a gathering send; false when one is not array-backed.</summary>
    private static bool TryGather(in ReadOnlySequence<byte> buffer, List<ArraySegment<byte>> gather)
    {
        foreach (ReadOnlyMemory<byte> segment in buffer)
        {
            if (!MemoryMarshal.TryGetArray(segment, out ArraySegment<byte> array))
            {
                gather.Clear();
                return false;
            }

            if (array.Count > 0)
            {
                gather.Add(array);
            }
        }

        return true;
    }

    private sealed class BridgeState(Socket socket, MuxStream stream, TimeProvider? clock)
    {
        private readonly object _lock = new();
        private long _lastActivity = clock?.GetTimestamp() ?? 0;

        /// <summary>The idle timeout's clock; null when the timeout is off.</summary>
        public TimeProvider? Clock { get; } = clock;

        /// <summary>When an octet last moved either way (a <see cref="TimeProvider"/> timestamp).</summary>
        public long LastActivity => Interlocked.Read(ref _lastActivity);

        /// <summary>Records that octets moved; a no-op without an idle timeout.</summary>
        public void Touch()
        {
            if (Clock is not null)
            {
                Interlocked.Exchange(ref _lastActivity, Clock.GetTimestamp());
            }
        }
        private bool _failed;
        private BridgeOutcome _outcome = BridgeOutcome.Completed;
        private ErrorCode? _code;
        private Exception? _exception;

        public Socket Socket { get; } = socket;

        public MuxStream Stream { get; } = stream;

        public long BytesFromSocket { get; set; }

        public long BytesToSocket { get; set; }

        /// <summary>Set before our own FIN: from then on this side sends nothing that could meet a reset.</summary>
        public volatile bool SendingDone;

        /// <summary>Set once the socket's peer has sent FIN (a clean end of its data, not a reset).</summary>
        public volatile bool ReceivingDone;

        /// <summary>
        /// The socket's receive side ended. A FIN becomes END_STREAM; but if our sending side met a
        /// reset that swallowed the error, the 0 is a reset in disguise and must stay a reset.
        /// </summary>
        public void OnSocketEndOfFile()
        {
            if (!SendingDone && TcpState.WasReset(Socket))
            {
                Fail(BridgeOutcome.SocketFailed, ErrorCode.ConnectionReset, new SocketException((int)SocketError.ConnectionReset));
                return;
            }

            lock (_lock)
            {
                if (_failed)
                {
                    return;
                }
            }

            ReceivingDone = true;

            // Outside the lock: CompleteWrites may run the session writer inline, and the read loop
            // must not wait for this lock meanwhile (Fail takes it). A Fail that slips in between
            // resets the stream first (then CompleteWrites does nothing) or just after the FIN.
            Stream.CompleteWrites();
        }

        public void OnException(Exception ex)
        {
            switch (ex)
            {
                case StreamResetException reset:
                    Fail(BridgeOutcome.StreamReset, reset.Code, reset);
                    break;
                case OperationCanceledException:
                    Fail(BridgeOutcome.Cancelled, ErrorCode.Cancel, ex);
                    break;
                default:
                    // Socket errors, and ObjectDisposedException after the other direction aborted it.
                    Fail(BridgeOutcome.SocketFailed, ErrorCode.ConnectionReset, ex);
                    break;
            }
        }

        public void OnStreamDone()
        {
            if (Stream.ResetReason is { } reset)
            {
                Fail(BridgeOutcome.StreamReset, reset.Code, reset);
            }
        }

        /// <summary>The first failure wins: it resets the stream (unless it came from there) and the socket.</summary>
        public void Fail(BridgeOutcome outcome, ErrorCode code, Exception? exception)
        {
            lock (_lock)
            {
                if (_failed)
                {
                    return;
                }

                _failed = true;
            }

            _outcome = outcome;
            _code = code;
            _exception = exception;
            if (outcome != BridgeOutcome.StreamReset)
            {
                Stream.Reset(code, exception is null ? null
                    : outcome == BridgeOutcome.IdleTimeout ? $"Stream {Stream.Id}: {exception.Message}"
                    : $"Stream {Stream.Id}: the local connection failed: {exception.Message}");
            }

            AbortSocket(Socket);
        }

        public BridgeResult Finish()
        {
            bool failed;
            lock (_lock)
            {
                failed = _failed;
            }

            if (!failed)
            {
                SetLinger(Socket, abortive: false);
                Socket.Dispose();
            }

            return new BridgeResult(_outcome, BytesFromSocket, BytesToSocket, _code, _exception);
        }

        private static void AbortSocket(Socket socket)
        {
            // Linger 0 makes close send RST: the other end sees a reset, never a clean end.
            SetLinger(socket, abortive: true);
            socket.Dispose();
        }
    }

    private static void SetLinger(Socket socket, bool abortive)
    {
        try
        {
            socket.LingerState = abortive ? new LingerOption(true, 0) : new LingerOption(false, 0);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already closed: nothing left to decide.
        }
    }
}
