using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net.WebSockets;
using System.Text;
using ReverseTunnel.Protocol.Framing;

namespace ReverseTunnel.Protocol.Multiplexing;

/// <summary>The read side of <see cref="MuxSession"/>: one loop that parses and dispatches frames.</summary>
public sealed partial class MuxSession
{
    private async Task ReadLoopAsync()
    {
        var pipe = new Pipe(ReceivePipeOptions);
        PipeWriter writer = pipe.Writer;
        PipeReader reader = pipe.Reader;
        CancellationToken token = _abort.Token;
        try
        {
            while (true)
            {
                Memory<byte> memory = writer.GetMemory(ReceiveChunk);
                ValueWebSocketReceiveResult received = await _webSocket.ReceiveAsync(memory, token).ConfigureAwait(false);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    OnTransportClosed();
                    return;
                }

                if (received.MessageType != WebSocketMessageType.Binary)
                {
                    throw new ProtocolException(ErrorCode.ProtocolError, "Received a text WebSocket message; the protocol uses binary messages only.");
                }

                BytesReceived += received.Count;
                writer.Advance(received.Count);

                // Never waits: the receive pipe has no pause threshold, and the frame limit bounds it.
                await writer.FlushAsync(token).ConfigureAwait(false);
                if (!reader.TryRead(out ReadResult result))
                {
                    continue;
                }

                ReadOnlySequence<byte> buffer = result.Buffer;
                while (FrameReader.TryReadFrame(ref buffer, _options.MaxFramePayload, out FrameHeader header, out ReadOnlySequence<byte> payload))
                {
                    Dispatch(header, payload);
                }

                // Frames we owe the peer (resets, credit) pile up only if it sends without reading.
                if (_writer.PendingControlFrames > MaxPendingControlFrames)
                {
                    throw new ProtocolException(ErrorCode.ProtocolError,
                        $"The peer caused more than {MaxPendingControlFrames} control frames to queue without reading them.");
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        finally
        {
            await writer.CompleteAsync().ConfigureAwait(false);
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    private void OnTransportClosed()
    {
        if (_goAwayReceived)
        {
            SetEnd(new SessionEnd(SessionEndReason.PeerGoAway, _peerGoAway.Code, _peerGoAway.Reason));
        }
        else
        {
            string status = _webSocket.CloseStatus is { } s ? $" (status {(int)s} {_webSocket.CloseStatusDescription})" : string.Empty;
            SetEnd(new SessionEnd(SessionEndReason.TransportFailure, ErrorCode.ConnectionReset, $"the peer closed the WebSocket without GOAWAY{status}"));
        }
    }

    private void Dispatch(in FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        if (!_peerHello.Task.IsCompleted)
        {
            if (header.Type != FrameType.Hello)
            {
                throw new ProtocolException(ErrorCode.ProtocolError, $"The first frame must be HELLO, not {header.Type}.");
            }

            OnHello(header, payload);
            return;
        }

        switch (header.Type)
        {
            case FrameType.Data: OnData(header, payload); break;
            case FrameType.Open: OnOpen(header); break;
            case FrameType.WindowUpdate: OnWindowUpdate(header, payload); break;
            case FrameType.Reset: OnReset(header, payload); break;
            case FrameType.GoAway: OnGoAway(header, payload); break;
            case FrameType.Blocked: OnBlocked(header); break;
            case FrameType.Hello: throw new ProtocolException(ErrorCode.ProtocolError, "HELLO was sent twice.");
            default: break; // Unknown frame types are skipped so that later versions can add them.
        }
    }

    private void OnHello(in FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        RequireSessionFrame(header);
        HelloSettings peer = HelloSettings.Parse(payload, HelloSettings.ProtocolDefaults);
        SendFramePayload = Math.Min(_options.MaxFramePayload, peer.MaxFramePayload);
        SendCredit.TryAdd(peer.SessionWindow);
        _peerHello.TrySetResult(peer);
    }

    private void OnData(in FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        RequireStreamFrame(header);
        int length = header.Length;
        if (length > Interlocked.Read(ref _receiveCredit))
        {
            throw new ProtocolException(ErrorCode.FlowControlError,
                $"DATA of {length} octets on stream {header.StreamId} exceeds the session window ({Interlocked.Read(ref _receiveCredit)} left).");
        }

        Interlocked.Add(ref _receiveCredit, -length);
        bool endStream = (header.Flags & FrameFlags.EndStream) != 0;
        if (_streams.TryGetValue(header.StreamId, out MuxStream? stream))
        {
            stream.OnData(payload, endStream);
            return;
        }

        RequireKnownStream(header);
        ReturnSessionCredit(length); // Data for a stream already closed: dropped, but its credit comes back.
    }

    private void OnOpen(in FrameHeader header)
    {
        RequireStreamFrame(header);
        uint id = header.StreamId;
        if (IsLocalId(id))
        {
            throw new ProtocolException(ErrorCode.ProtocolError, $"OPEN for stream {id}, whose id belongs to this side.");
        }

        if (id <= _highestPeerStreamId)
        {
            throw new ProtocolException(ErrorCode.ProtocolError, $"OPEN for stream {id}, not above the last opened id {_highestPeerStreamId}.");
        }

        _highestPeerStreamId = id;
        string? refusal = _acceptStream is null ? "this side does not accept streams"
            : GoAwaySent ? "the session is closing"
            : _peerStreams >= _options.MaxConcurrentStreams ? $"the limit of {_options.MaxConcurrentStreams} concurrent streams is reached"
            : null;
        if (refusal is not null)
        {
            SessionLog.StreamRefused(_logger, Name, id, refusal);
            EnqueueReset(id, ErrorCode.RefusedStream);
            return;
        }

        HelloSettings peer = _peerHello.Task.Result;
        var stream = new MuxStream(this, id, peer.InitialStreamWindow, _options.InitialStreamWindow);
        _streams[id] = stream;
        Interlocked.Increment(ref _peerStreams);
        try
        {
            Task handler = _acceptStream!(stream);
            if (!handler.IsCompletedSuccessfully)
            {
                _ = handler.ContinueWith(
                    static (t, s) =>
                    {
                        var (session, st) = ((MuxSession, MuxStream))s!;
                        SessionLog.StreamHandlerFailed(session._logger, t.Exception!, session.Name, st.Id);
                        st.Reset(ErrorCode.InternalError);
                    },
                    (this, stream), CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            }
        }
        catch (Exception ex)
        {
            SessionLog.StreamHandlerFailed(_logger, ex, Name, id);
            stream.Reset(ErrorCode.InternalError);
        }
    }

    private void OnWindowUpdate(in FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        uint increment = ReadUInt32(header, payload) & FrameHeader.MaxStreamId;
        if (header.StreamId == 0)
        {
            if (increment == 0 || !SendCredit.TryAdd(increment))
            {
                throw new ProtocolException(ErrorCode.FlowControlError, $"Session WINDOW_UPDATE of {increment} is zero or takes the window past 2^31-1.");
            }

            return;
        }

        if (_streams.TryGetValue(header.StreamId, out MuxStream? stream))
        {
            if (increment == 0)
            {
                stream.Reset(ErrorCode.ProtocolError, $"Stream {stream.Id} got a WINDOW_UPDATE of zero.");
                return;
            }

            stream.OnWindowUpdate((int)increment);
            return;
        }

        RequireKnownStream(header);
    }

    private void OnBlocked(in FrameHeader header)
    {
        RequireStreamFrame(header);
        if (header.Length != 0)
        {
            throw new ProtocolException(ErrorCode.FrameSizeError, $"BLOCKED payload must be empty, not {header.Length} octets.");
        }

        if (_streams.TryGetValue(header.StreamId, out MuxStream? stream))
        {
            stream.OnPeerBlocked();
            return;
        }

        RequireKnownStream(header);
    }

    private void OnReset(in FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        RequireStreamFrame(header);
        var code = (ErrorCode)ReadUInt32(header, payload);
        if (_streams.TryGetValue(header.StreamId, out MuxStream? stream))
        {
            SessionLog.StreamResetByPeer(_logger, Name, header.StreamId, code);
            stream.OnPeerReset(code);
            return;
        }

        RequireKnownStream(header);
    }

    private void OnGoAway(in FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        RequireSessionFrame(header);
        if (header.Length < 8)
        {
            throw new ProtocolException(ErrorCode.FrameSizeError, $"GOAWAY payload of {header.Length} octets is shorter than 8.");
        }

        Span<byte> fixedPart = stackalloc byte[8];
        payload.Slice(0, 8).CopyTo(fixedPart);
        var code = (ErrorCode)BinaryPrimitives.ReadUInt32BigEndian(fixedPart[4..]);
        string reason = Encoding.UTF8.GetString(payload.Slice(8));
        lock (_openLock)
        {
            _peerGoAway = (code, reason);
            _goAwayReceived = true;
        }

        SessionLog.GoAwayReceived(_logger, Name, code, reason);
    }

    private static uint ReadUInt32(in FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        if (header.Length != 4)
        {
            throw new ProtocolException(ErrorCode.FrameSizeError, $"{header.Type} payload must be 4 octets, not {header.Length}.");
        }

        Span<byte> value = stackalloc byte[4];
        payload.CopyTo(value);
        return BinaryPrimitives.ReadUInt32BigEndian(value);
    }

    private static void RequireStreamFrame(in FrameHeader header)
    {
        if (header.StreamId == 0)
        {
            throw new ProtocolException(ErrorCode.ProtocolError, $"{header.Type} needs a stream id other than 0.");
        }
    }

    private static void RequireSessionFrame(in FrameHeader header)
    {
        if (header.StreamId != 0)
        {
            throw new ProtocolException(ErrorCode.ProtocolError, $"{header.Type} must be sent on stream 0, not {header.StreamId}.");
        }
    }

    /// <summary>A frame for a stream not in the table is fine if that stream existed once; otherwise the peer is confused.</summary>
    private void RequireKnownStream(in FrameHeader header)
    {
        uint id = header.StreamId;
        bool existed = IsLocalId(id) ? id < _nextStreamId : id <= _highestPeerStreamId;
        if (!existed)
        {
            throw new ProtocolException(ErrorCode.ProtocolError, $"{header.Type} for stream {id}, which was never opened.");
        }
    }
}
