using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using ReverseTunnel.Protocol.Bridging;
using ReverseTunnel.Protocol.Multiplexing;
using ReverseTunnel.Server.Clients;
using ReverseTunnel.Server.Diagnostics;

namespace ReverseTunnel.Server.Tunnels;

/// <summary>
/// One tunnel port: accepts TCP connections and bridges each to a new stream of the current
/// session. The listener outlives a session that is replaced by a reconnect of the same client, so
/// the port never has to be bound again in that case.
/// </summary>
public sealed class TunnelListener : IDisposable
{
    // A connection that arrives between the port's first claim and its session's activation waits
    // this long for the session.
    internal static readonly TimeSpan SessionWait = TimeSpan.FromSeconds(10);

    // Back-off after a transient accept error (out of file descriptors, of buffers...): retrying at
    // once would spin a core and flood the log while the condition lasts. As Kestrel does.
    private static readonly TimeSpan MinAcceptBackoff = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxAcceptBackoff = TimeSpan.FromSeconds(1);

    // At most one Warning per this interval while the stream limit is hit.
    private static readonly TimeSpan LimitWarningInterval = TimeSpan.FromSeconds(10);

    private readonly Socket _socket;
    private readonly ILogger _logger;
    private readonly ServerMetrics _metrics;
    private readonly CancellationTokenSource _closed = new();
    private readonly ConcurrentDictionary<Task, bool> _connections = new();
    private readonly Func<Socket, CancellationToken, ValueTask<Socket>> _accept;
    private readonly Action<TunnelListener, Exception> _failed;
    private readonly StreamLimits _limits;
    private readonly Lock _limitLogLock = new();
    private long _limitLoggedAt;
    private long _limitRefusals;
    private volatile TunnelLease _lease;
    private int _disposed;

    /// <param name="socket">The bound, listening socket; owned from now on.</param>
    /// <param name="client">The client of the first (current) lease.</param>
    /// <param name="target">That lease's X-Tunnel-Target.</param>
    /// <param name="logger">Logger.</param>
    /// <param name="metrics">Metrics.</param>
    /// <param name="failed">Called once when the listening socket itself is unusable; the listener is disposed by then.</param>
    /// <param name="accept">Accepts one connection; null for <see cref="Socket.AcceptAsync(CancellationToken)"/>. A seam for tests to inject accept errors.</param>
    /// <param name="limits">Streams per session and the bridge's idle timeout; null for the defaults.</param>
    internal TunnelListener(
        Socket socket,
        ClientRegistration client,
        string target,
        ILogger logger,
        ServerMetrics metrics,
        Action<TunnelListener, Exception> failed,
        Func<Socket, CancellationToken, ValueTask<Socket>>? accept = null,
        StreamLimits? limits = null)
    {
        _limits = limits ?? StreamLimits.Default;
        _socket = socket;
        _logger = logger;
        _metrics = metrics;
        _failed = failed;
        _accept = accept ?? (static (s, ct) => s.AcceptAsync(ct));
        var endPoint = (IPEndPoint)socket.LocalEndPoint!;
        Address = endPoint.Address;
        Port = endPoint.Port;
        _lease = new TunnelLease(this, client, target, pending: false);
        AcceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>The address the port is bound to.</summary>
    public IPAddress Address { get; }

    /// <summary>The tunnel port.</summary>
    public int Port { get; }

    /// <summary>The lease of the session serving the port (or about to).</summary>
    public TunnelLease CurrentLease => _lease;

    /// <summary>Takeover claims of the same client waiting for their upgrade. Guarded by the manager's lock.</summary>
    internal int PendingClaims { get; set; }

    /// <summary>Bridged connections right now.</summary>
    public int ActiveConnections => _connections.Count;

    internal Task AcceptLoop { get; }

    /// <summary>Closes the port: new connections are refused; bridged ones end with their session.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _closed.Cancel();
        _socket.Dispose();
        _lease.Abandon();
    }

    /// <summary>Completes when every bridged connection has ended.</summary>
    internal Task WhenConnectionsClosedAsync() => Task.WhenAll(_connections.Keys);

    /// <summary>
    /// Makes <paramref name="lease"/> (a pending takeover that now has its session) the current one;
    /// returns the previous lease. Called under the manager's lock.
    /// </summary>
    internal TunnelLease MakeCurrent(TunnelLease lease)
    {
        TunnelLease previous = _lease;
        _lease = lease;

        // Connections still waiting on a previous lease without a session move on to this one.
        previous.Abandon();
        return previous;
    }

    private async Task AcceptLoopAsync()
    {
        TimeSpan backoff = MinAcceptBackoff;
        while (!_closed.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                connection = await _accept(_socket, _closed.Token).ConfigureAwait(false);
                backoff = MinAcceptBackoff;
            }
            catch (Exception) when (_closed.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionAborted or SocketError.ConnectionReset)
            {
                // The client gave up before we accepted; not the listener's problem, and no resource is short.
                continue;
            }
            catch (Exception ex) when (IsListenerBroken(ex))
            {
                // The listening socket itself is gone: nothing will ever be accepted again. Close the
                // port and let the manager end the session, so that the agent reconnects and the port
                // is bound afresh, rather than an agent staying connected to a dead port.
                ServerLog.AcceptFailed(_logger, ex, Port);
                Dispose();
                _failed(this, ex);
                return;
            }
            catch (Exception ex)
            {
                // Out of file descriptors (EMFILE/ENFILE), of buffers (ENOBUFS), or another passing
                // condition: connections already bridged are unaffected, and the port works again
                // once it passes. Closing the port would turn a blip into an outage.
                ServerLog.AcceptRetrying(_logger, ex, Port, backoff);
                try
                {
                    await Task.Delay(backoff, _closed.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                backoff = backoff * 2 < MaxAcceptBackoff ? backoff * 2 : MaxAcceptBackoff;
                continue;
            }

            Task task = HandleConnectionAsync(connection);
            _connections.TryAdd(task, true);
            _ = task.ContinueWith(static (t, s) => ((ConcurrentDictionary<Task, bool>)s!).TryRemove(t, out _),
                _connections, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    /// <summary>True when the error is about the listening socket itself (closed, not a socket, not listening).</summary>
    private static bool IsListenerBroken(Exception ex) => ex is ObjectDisposedException
        || ex is SocketException { SocketErrorCode: SocketError.OperationAborted or SocketError.NotSocket or SocketError.InvalidArgument or SocketError.OperationNotSupported };

    private async Task HandleConnectionAsync(Socket connection)
    {
        MuxStream stream;
        TunnelLease? counted = null;
        try
        {
            if (!ListenSocketFactory.AcceptedSocketsInheritOptions)
            {
                connection.NoDelay = true;
            }

            (TunnelLease lease, MuxSession? session) = await WaitForSessionAsync().ConfigureAwait(false);
            if (session is null)
            {
                Refuse(connection, "no_session", "no agent session serves the port");
                return;
            }

            if (!lease.TryAddStream(_limits.MaxStreamsPerSession))
            {
                // This session's limit, not the port's: the next session (a reconnect) starts afresh.
                Refuse(connection, "stream_limit", $"the session carries its maximum of {_limits.MaxStreamsPerSession} connections (Tunnel:MaxStreamsPerSession)");
                WarnStreamLimit();
                return;
            }

            counted = lease;
            stream = await session.OpenStreamAsync(_closed.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SessionClosedException or OperationCanceledException or SocketException or ObjectDisposedException)
        {
            counted?.RemoveStream();
            Refuse(connection, "session_refused", ex.Message);
            return;
        }

        try
        {
            _metrics.StreamOpened();
            BridgeResult result = await SocketBridge.RunAsync(connection, stream, _limits.Bridge).ConfigureAwait(false);
            _metrics.StreamClosed(result.BytesFromSocket, result.BytesToSocket);
            ServerLog.ConnectionEnded(_logger, Port, stream.Id, result.Outcome, result.BytesFromSocket, result.BytesToSocket);
        }
        finally
        {
            counted.RemoveStream();
        }
    }

    /// <summary>Resets the connection (not FIN: the caller must not mistake the refusal for an empty response).</summary>
    private void Refuse(Socket connection, string reason, string message)
    {
        _metrics.StreamRefused(reason);
        ServerLog.ConnectionRefused(_logger, Port, RemoteOf(connection), message);
        Reset(connection);
    }

    /// <summary>
    /// One Warning per 10 s at most while the limit is hit (each refusal is at Debug): a client
    /// flooding the port must not flood the log too.
    /// </summary>
    private void WarnStreamLimit()
    {
        long count = Interlocked.Increment(ref _limitRefusals);
        lock (_limitLogLock)
        {
            if (_limitLoggedAt != 0 && Stopwatch.GetElapsedTime(_limitLoggedAt) < LimitWarningInterval)
            {
                return;
            }

            _limitLoggedAt = Stopwatch.GetTimestamp();
            count = Interlocked.Exchange(ref _limitRefusals, 0);
        }

        ServerLog.StreamLimitReached(_logger, Port, _limits.MaxStreamsPerSession, count);
    }

    private ValueTask<(TunnelLease Lease, MuxSession? Session)> WaitForSessionAsync()
    {
        // The usual case, an agent connected: no deadline timer, no linked token, no task.
        TunnelLease current = _lease;
        if (current.SessionTask.IsCompletedSuccessfully && current.SessionTask.Result is { } ready)
        {
            return ValueTask.FromResult<(TunnelLease, MuxSession?)>((current, ready));
        }

        return new ValueTask<(TunnelLease, MuxSession?)>(WaitForSessionSlowAsync());
    }

    private async Task<(TunnelLease Lease, MuxSession? Session)> WaitForSessionSlowAsync()
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_closed.Token);
        deadline.CancelAfter(SessionWait);
        while (true)
        {
            TunnelLease lease = _lease;
            MuxSession? session = await lease.SessionTask.WaitAsync(deadline.Token).ConfigureAwait(false);
            if (session is not null || _closed.IsCancellationRequested)
            {
                return (lease, session);
            }

            if (ReferenceEquals(lease, _lease))
            {
                // The lease ended without a session and no other took its place.
                return (lease, null);
            }
        }
    }

    /// <summary>The client's address for a log line, which formats it only if the line is written (Debug).</summary>
    private static EndPoint? RemoteOf(Socket connection)
    {
        try
        {
            return connection.RemoteEndPoint;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return null;
        }
    }

    private static void Reset(Socket connection)
    {
        try
        {
            connection.LingerState = new LingerOption(true, 0);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already gone; disposing is all that is left.
        }

        connection.Dispose();
    }
}
