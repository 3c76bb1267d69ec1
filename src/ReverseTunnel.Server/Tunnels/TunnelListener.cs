using System.Collections.Concurrent;
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
    // A connection that arrives while the session is being set up (a reconnect) waits this long for it.
    private static readonly TimeSpan SessionWait = TimeSpan.FromSeconds(10);

    private readonly Socket _socket;
    private readonly ILogger _logger;
    private readonly ServerMetrics _metrics;
    private readonly CancellationTokenSource _closed = new();
    private readonly ConcurrentDictionary<Task, bool> _connections = new();
    private volatile TunnelLease _lease;
    private int _disposed;

    internal TunnelListener(Socket socket, ClientRegistration client, ILogger logger, ServerMetrics metrics)
    {
        _socket = socket;
        _logger = logger;
        _metrics = metrics;
        var endPoint = (IPEndPoint)socket.LocalEndPoint!;
        Address = endPoint.Address;
        Port = endPoint.Port;
        _lease = new TunnelLease(this, client);
        AcceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>The address the port is bound to.</summary>
    public IPAddress Address { get; }

    /// <summary>The tunnel port.</summary>
    public int Port { get; }

    /// <summary>The lease of the session serving the port (or about to).</summary>
    public TunnelLease CurrentLease => _lease;

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

    /// <summary>Hands the port to a new session of the same client; returns the previous lease.</summary>
    internal TunnelLease Renew(ClientRegistration client, out TunnelLease previous)
    {
        previous = _lease;
        var lease = new TunnelLease(this, client);
        _lease = lease;
        previous.Abandon();
        return lease;
    }

    private async Task AcceptLoopAsync()
    {
        while (!_closed.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                connection = await _socket.AcceptAsync(_closed.Token).ConfigureAwait(false);
            }
            catch (Exception) when (_closed.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionAborted or SocketError.ConnectionReset)
            {
                // The client gave up before we accepted; not the listener's problem.
                continue;
            }
            catch (Exception ex)
            {
                ServerLog.AcceptFailed(_logger, ex, Port);
                Dispose();
                return;
            }

            Task task = HandleConnectionAsync(connection);
            _connections.TryAdd(task, true);
            _ = task.ContinueWith(static (t, s) => ((ConcurrentDictionary<Task, bool>)s!).TryRemove(t, out _),
                _connections, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private async Task HandleConnectionAsync(Socket connection)
    {
        string? remote = connection.RemoteEndPoint?.ToString();
        MuxStream stream;
        try
        {
            connection.NoDelay = true;
            MuxSession session = await WaitForSessionAsync().ConfigureAwait(false)
                ?? throw new SessionClosedException("no agent session serves the port");
            stream = await session.OpenStreamAsync(_closed.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SessionClosedException or OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Reset, not FIN: the caller must not mistake the refusal for an empty response.
            _metrics.StreamRefused();
            ServerLog.ConnectionRefused(_logger, Port, remote, ex.Message);
            Reset(connection);
            return;
        }

        _metrics.StreamOpened();
        BridgeResult result = await SocketBridge.RunAsync(connection, stream).ConfigureAwait(false);
        _metrics.StreamClosed(result.BytesFromSocket, result.BytesToSocket);
        ServerLog.ConnectionEnded(_logger, Port, stream.Id, result.Outcome, result.BytesFromSocket, result.BytesToSocket);
    }

    private async Task<MuxSession?> WaitForSessionAsync()
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_closed.Token);
        deadline.CancelAfter(SessionWait);
        while (true)
        {
            TunnelLease lease = _lease;
            MuxSession? session = await lease.SessionTask.WaitAsync(deadline.Token).ConfigureAwait(false);
            if (session is not null || _closed.IsCancellationRequested)
            {
                return session;
            }

            if (ReferenceEquals(lease, _lease))
            {
                // The lease ended without a session and no other took its place.
                return null;
            }
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
