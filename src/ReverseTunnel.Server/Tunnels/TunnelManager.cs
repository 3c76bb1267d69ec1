using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ReverseTunnel.Protocol.Framing;
using ReverseTunnel.Protocol.Multiplexing;
using ReverseTunnel.Server.Clients;
using ReverseTunnel.Server.Configuration;
using ReverseTunnel.Server.Diagnostics;

namespace ReverseTunnel.Server.Tunnels;

/// <summary>
/// Owns the tunnel ports: which client holds which port, binding on first claim, handing a port to
/// the same client's new session on reconnect, closing it when the last session ends, and closing
/// every session on shutdown.
/// </summary>
public sealed class TunnelManager : IDisposable
{
    private readonly Dictionary<int, TunnelListener> _listeners = [];
    private readonly Lock _lock = new();
    private readonly IPAddress _bindAddress;
    private readonly ClientRegistry _registry;
    private readonly ILogger _logger;
    private readonly ServerMetrics _metrics;
    private bool _stopping;
    private Task? _shutdown;

    /// <summary>Creates the manager.</summary>
    public TunnelManager(IOptions<TunnelOptions> options, ClientRegistry registry, ServerMetrics metrics, ILogger<TunnelManager> logger)
    {
        _bindAddress = IPAddress.Parse(options.Value.TunnelBindAddress);
        _registry = registry;
        _metrics = metrics;
        _logger = logger;
        _registry.Reloaded += OnRegistryReloaded;
    }

    /// <summary>The listener of <paramref name="port"/>, if open.</summary>
    public TunnelListener? GetListener(int port)
    {
        lock (_lock)
        {
            return _listeners.GetValueOrDefault(port);
        }
    }

    /// <summary>
    /// Claims <paramref name="port"/> for <paramref name="client"/>: binds it when free, takes it over
    /// from the client's own previous session (closed at once with <see cref="ErrorCode.Replaced"/>),
    /// or refuses when another client holds it.
    /// </summary>
    public ClaimResult TryClaim(int port, ClientRegistration client)
    {
        TunnelLease lease;
        TunnelLease? previous = null;
        lock (_lock)
        {
            if (_stopping)
            {
                return new ClaimResult(ClaimStatus.ShuttingDown);
            }

            if (_listeners.TryGetValue(port, out TunnelListener? listener))
            {
                if (!listener.CurrentLease.Client.HasTokenHash(client.TokenHash.Span))
                {
                    return new ClaimResult(ClaimStatus.PortInUse);
                }

                lease = listener.Renew(client, out previous);
            }
            else
            {
                Socket socket;
                try
                {
                    socket = ListenSocketFactory.Listen(_bindAddress, port);
                }
                catch (SocketException ex)
                {
                    return new ClaimResult(ClaimStatus.PortUnavailable, Error: $"{ex.SocketErrorCode}: {ex.Message}");
                }

                listener = new TunnelListener(socket, client, _logger, _metrics);
                _listeners.Add(port, listener);
                lease = listener.CurrentLease;
                ServerLog.TunnelOpened(_logger, port, listener.Address, client.Name);
            }
        }

        previous?.Session?.Abort(ErrorCode.Replaced, "replaced by a new session of the same client");
        return new ClaimResult(ClaimStatus.Claimed, lease, Replaced: previous is not null);
    }

    /// <summary>
    /// Gives the lease its session. False when the lease was replaced meanwhile or the server is
    /// stopping: the caller must then close the session.
    /// </summary>
    public bool Activate(TunnelLease lease, MuxSession session)
    {
        lock (_lock)
        {
            return !_stopping && ReferenceEquals(lease.Listener.CurrentLease, lease) && lease.TrySetSession(session);
        }
    }

    /// <summary>
    /// Ends <paramref name="lease"/>. If it is still the port's current lease, the port is closed so
    /// that new connections are refused at once; a replaced lease leaves the port to its successor.
    /// </summary>
    public void Release(TunnelLease lease)
    {
        lock (_lock)
        {
            lease.Abandon();
            if (!ReferenceEquals(lease.Listener.CurrentLease, lease)
                || !_listeners.TryGetValue(lease.Port, out TunnelListener? listener)
                || !ReferenceEquals(listener, lease.Listener))
            {
                return;
            }

            _listeners.Remove(lease.Port);
        }

        lease.Listener.Dispose();
        ServerLog.TunnelClosed(_logger, lease.Port);
    }

    /// <summary>
    /// Stops taking sessions, closes every tunnel port, and closes every session with GOAWAY; open
    /// streams get <paramref name="drainTimeout"/> to finish, then are reset. Later calls wait for the first.
    /// </summary>
    public Task ShutdownAsync(TimeSpan drainTimeout, CancellationToken cancellationToken)
    {
        TunnelListener[] listeners;
        lock (_lock)
        {
            if (_shutdown is not null)
            {
                return _shutdown.WaitAsync(cancellationToken);
            }

            _stopping = true;
            listeners = [.. _listeners.Values];
            _listeners.Clear();
            _shutdown = DrainAsync(listeners, drainTimeout, cancellationToken);
            return _shutdown;
        }
    }

    private async Task DrainAsync(TunnelListener[] listeners, TimeSpan drainTimeout, CancellationToken cancellationToken)
    {
        await Task.Yield();

        // Sessions are read before the ports close: closing abandons a lease that has none yet.
        MuxSession[] sessions = [.. listeners.Select(l => l.CurrentLease.Session).OfType<MuxSession>()];
        ServerLog.ShutdownStarted(_logger, sessions.Length, drainTimeout);
        foreach (TunnelListener listener in listeners)
        {
            listener.Dispose();
            ServerLog.TunnelClosed(_logger, listener.Port);
        }

        Task closing = Task.WhenAll(sessions.Select(s => s.CloseAsync(ErrorCode.NoError, "server shutting down", drainTimeout)));
        Task bridges = Task.WhenAll(listeners.Select(l => l.WhenConnectionsClosedAsync()));
        try
        {
            await Task.WhenAll(closing, bridges).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            ServerLog.ShutdownIncomplete(_logger, sessions.Count(s => !s.Completion.IsCompleted));
            foreach (MuxSession session in sessions)
            {
                session.Abort(ErrorCode.Shutdown, "server shutting down");
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _registry.Reloaded -= OnRegistryReloaded;
        lock (_lock)
        {
            _stopping = true;
            foreach (TunnelListener listener in _listeners.Values)
            {
                listener.Dispose();
            }

            _listeners.Clear();
        }
    }

    /// <summary>A client removed from the registry, or no longer allowed its port, loses its session.</summary>
    private void OnRegistryReloaded(bool applied)
    {
        if (!applied)
        {
            return;
        }

        ClientDirectory clients = _registry.Current;
        var revoked = new List<(TunnelLease Lease, string Reason)>();
        lock (_lock)
        {
            foreach (TunnelListener listener in _listeners.Values)
            {
                TunnelLease lease = listener.CurrentLease;
                ClientRegistration? client = clients.FindByTokenHash(lease.Client.TokenHash.Span);
                if (client is null)
                {
                    revoked.Add((lease, "the client's token was removed from the server's registry"));
                }
                else if (!client.Ports.Contains(listener.Port))
                {
                    revoked.Add((lease, $"port {listener.Port} is no longer allowed for this client"));
                }
                else
                {
                    // Renamed or otherwise edited: later log lines use the new entry.
                    lease.Client = client;
                }
            }
        }

        foreach ((TunnelLease lease, string reason) in revoked)
        {
            lease.Session?.Abort(ErrorCode.NoError, reason);
            Release(lease);
        }
    }
}
