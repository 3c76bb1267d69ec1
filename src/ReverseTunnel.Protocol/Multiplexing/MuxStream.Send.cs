using System.Net.Sockets;
using ReverseTunnel.Protocol.Buffers;
using ReverseTunnel.Protocol.Framing;

namespace ReverseTunnel.Protocol.Multiplexing;

/// <summary>
/// The sending side of <see cref="MuxStream"/>. Sending a frame takes, in this order: stream credit
/// and session credit from the peer (both FIFO), then room in the local send queue. The queue is
/// charged by the size of the buffer a frame pins, not by its payload, so tiny writes cannot pin
/// an unbounded number of large buffers.
/// </summary>
public sealed partial class MuxStream
{
    // Shared by every stream: a peek only needs somewhere to put the octet, which nobody reads.
    private static readonly Memory<byte> PeekBuffer = new byte[1];

    private CancellationTokenSource? _abortSource;

    // 1 once BLOCKED was sent and no WINDOW_UPDATE came since: one BLOCKED per stall.
    private int _blockedSignalled;

    /// <summary>Sends <paramref name="data"/>, waiting for credit as needed.</summary>
    /// <exception cref="StreamResetException">The stream was reset.</exception>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        ThrowIfReset();
        if (_finSent)
        {
            throw new InvalidOperationException($"Stream {Id}: cannot write after CompleteWrites.");
        }

        while (!data.IsEmpty)
        {
            int granted = await AcquirePeerCreditAsync(Math.Min(data.Length, _session.SendFramePayload), cancellationToken).ConfigureAwait(false);
            FrameBufferPool pool = _session.PoolFor(granted);
            byte[] buffer = pool.Rent();
            data.Span[..granted].CopyTo(buffer.AsSpan(FrameHeader.Size));
            await EnqueueAsync(pool, buffer, granted, cancellationToken).ConfigureAwait(false);
            data = data[granted..];
        }
    }

    /// <summary>
    /// Copies what <paramref name="socket"/> receives into this stream until the socket's end of file.
    /// Does not send FIN: the caller decides, after checking that the end was a clean one, whether to
    /// call <see cref="CompleteWrites"/> or <see cref="Reset"/>. The socket is read straight into frame
    /// buffers, and an idle socket holds neither a buffer nor credit: it waits with a zero-byte receive.
    /// </summary>
    /// <returns>Octets copied.</returns>
    /// <exception cref="StreamResetException">The stream was reset.</exception>
    /// <exception cref="SocketException">The socket failed.</exception>
    public async ValueTask<long> SendFromSocketAsync(Socket socket, CancellationToken cancellationToken = default)
    {
        long total = 0;
        bool full = false;
        while (true)
        {
            // Credit is never held across a receive that could block: only when bytes are waiting.
            // After a short read the socket is taken as drained without asking (FIONREAD): each
            // system call counts, a request/response costs five of them per message otherwise.
            int granted = 0;
            if (!full || socket.Available == 0)
            {
                await socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, cancellationToken).ConfigureAwait(false);

                // Woken: octets, the end of file or an error. With credit at hand the read below
                // tells which. Without, peek, so that a half-close passes on even while the peer's
                // window is shut, not after it reopens.
                granted = TryAcquirePeerCredit(_session.SocketReadSize);
                if (granted == 0 && socket.Available == 0 &&
                    await socket.ReceiveAsync(PeekBuffer, SocketFlags.Peek, cancellationToken).ConfigureAwait(false) == 0)
                {
                    return total;
                }
            }

            if (granted == 0)
            {
                granted = await AcquirePeerCreditAsync(_session.SocketReadSize, cancellationToken).ConfigureAwait(false);
            }

            FrameBufferPool pool = _session.PoolFor(_session.SocketReadSize);
            byte[] buffer = pool.Rent();
            int read;
            try
            {
                read = await socket.ReceiveAsync(buffer.AsMemory(FrameHeader.Size, granted), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                pool.Return(buffer);
                ReleasePeerCredit(granted);
                throw;
            }

            ReleasePeerCredit(granted - read);
            if (read == 0)
            {
                pool.Return(buffer);
                return total;
            }

            full = read == granted;
            total += read;
            FrameBufferPool small = _session.PoolFor(read);
            if (!ReferenceEquals(small, pool))
            {
                // A short read would pin a whole large buffer in the queue: move it to a small one.
                byte[] compact = small.Rent();
                buffer.AsSpan(FrameHeader.Size, read).CopyTo(compact.AsSpan(FrameHeader.Size));
                pool.Return(buffer);
                (pool, buffer) = (small, compact);
            }

            await EnqueueAsync(pool, buffer, read, cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask EnqueueAsync(FrameBufferPool pool, byte[] buffer, int length, CancellationToken cancellationToken)
    {
        int charge = _session.QueueChargeOf(buffer);
        if (!_session.SendQueue.TryAcquireExactly(charge))
        {
            try
            {
                await WaitAsync(_session.SendQueue, charge, exactly: true, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                pool.Return(buffer);
                ReleasePeerCredit(length);
                throw;
            }
        }

        _session.EnqueueData(this, buffer, length, charge);
    }

    /// <summary>Takes stream and session credit only if both are free now, in line (FIFO); 0 otherwise.</summary>
    private int TryAcquirePeerCredit(int max)
    {
        int stream = _sendCredit.TryAcquire(max);
        if (stream == 0)
        {
            return 0;
        }

        int session = _session.SendCredit.TryAcquire(stream);
        _sendCredit.Release(stream - session);
        if (session > 0 && _reset is not null)
        {
            ReleasePeerCredit(session);
            return 0; // The wait below throws the reset.
        }

        return session;
    }

    private async ValueTask<int> AcquirePeerCreditAsync(int max, CancellationToken cancellationToken)
    {
        int stream = _sendCredit.TryAcquire(max);
        if (stream == 0)
        {
            // Out of stream credit with data to send: say so, once, so that a peer whose reader keeps
            // up can grow the window (MuxStream.OnPeerBlocked).
            if (Interlocked.Exchange(ref _blockedSignalled, 1) == 0)
            {
                _session.EnqueueBlocked(this);
            }

            stream = await WaitAsync(_sendCredit, max, exactly: false, cancellationToken).ConfigureAwait(false);
        }

        int session;
        try
        {
            session = _session.SendCredit.TryAcquire(stream);
            if (session == 0)
            {
                session = await WaitAsync(_session.SendCredit, stream, exactly: false, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            _sendCredit.Release(stream);
            throw;
        }

        _sendCredit.Release(stream - session);
        if (_reset is { } reset)
        {
            ReleasePeerCredit(session);
            throw reset;
        }

        return session;
    }

    /// <summary>Waits for credit; a reset of this stream ends the wait at once, so no task hangs in line.</summary>
    private async ValueTask<int> WaitAsync(FlowControl.CreditWindow window, int max, bool exactly, CancellationToken cancellationToken)
    {
        CancellationToken abort = AbortToken();
        using CancellationTokenSource? linked = cancellationToken.CanBeCanceled
            ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, abort)
            : null;
        try
        {
            if (exactly)
            {
                await window.AcquireExactlyAsync(max, linked?.Token ?? abort).ConfigureAwait(false);
                return max;
            }

            return await window.AcquireAsync(max, linked?.Token ?? abort).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_reset is { } reset && !cancellationToken.IsCancellationRequested)
        {
            throw reset;
        }
    }

    private CancellationToken AbortToken()
    {
        CancellationTokenSource? source = Volatile.Read(ref _abortSource);
        if (source is null)
        {
            var created = new CancellationTokenSource();
            source = Interlocked.CompareExchange(ref _abortSource, created, null) ?? created;
            if (!ReferenceEquals(source, created))
            {
                created.Dispose();
            }

            if (_reset is not null)
            {
                source.Cancel();
            }
        }

        return source.Token;
    }

    private void CancelWaiters()
    {
        if (Volatile.Read(ref _abortSource) is { } source)
        {
            source.Cancel();
        }
    }

    private void ReleasePeerCredit(int count)
    {
        if (count > 0)
        {
            _sendCredit.Release(count);
            _session.SendCredit.Release(count);
        }
    }
}
