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
/// <remarks>
/// A takeover happens in two steps so that a failed reconnect never hurts a working tunnel: the claim
/// (before the WebSocket upgrade) only reserves a pending lease; activation (once the new session
/// exists) makes it current and retires the old session gracefully (protocol.md section 14.4).
/// </remarks>
public sealed class TunnelManager : IDisposable
{
    // A replaced session's open connections get this long to finish (capped by ShutdownTimeout):
    // long enough for in-flight requests of a rolling update, short enough that a replaced agent
    // does not linger.
    private static readonly TimeSpan MaxReplaceDrain = TimeSpan.FromSeconds(10);

    private readonly Dictionary<int, TunnelListener> _listeners = [];
    private readonly HashSet<MuxSession> _retiring = [];
    private readonly Lock _lock = new();
    private readonly IPAddress _bindAddress;
    private readonly TimeSpan _replaceDrain;
    private readonly ClientRegistry _registry;
    private readonly ILogger _logger;
    private readonly ServerMetrics _metrics;
    private readonly StreamLimits _streamLimits;
    private bool _stopping;
    private Task? _shutdown;

    /// <summary>Creates the manager.</summary>
    public TunnelManager(IOptions<TunnelOptions> options, ClientRegistry registry, ServerMetrics metrics, ILogger<TunnelManager> logger)
    {
        _bindAddress = IPAddress.Parse(options.Value.TunnelBindAddress);
        _replaceDrain = options.Value.ShutdownTimeout < MaxReplaceDrain ? options.Value.ShutdownTimeout : MaxReplaceDrain;
        _streamLimits = new StreamLimits(
            options.Value.MaxStreamsPerSession,
            new Protocol.Bridging.SocketBridgeOptions
            {
                IdleTimeout = options.Value.IdleStreamTimeout,
                // Every tunnel port's socket comes from ListenSocketFactory.Listen, which sets SO_LINGER 0
                // on the listener where accepted connections inherit it.
                SocketsCloseWithReset = ListenSocketFactory.AcceptedSocketsInheritOptions,
            });
        _registry = registry;
        _metrics = metrics;
        _logger = logger;
        _registry.Reloaded += OnRegistryReloaded;
    }

    /// <summary>
    /// Test seam: accepts connections on listeners bound from now on (null: the socket's own
    /// AcceptAsync). Lets tests inject accept errors the OS produces only under resource exhaustion.
    /// </summary>
    internal Func<Socket, CancellationToken, ValueTask<Socket>>? AcceptOverride { get; set; }

    /// <summary>The listener of <paramref name="port"/>, if open.</summary>
    public TunnelListener? GetListener(int port)
    {
        lock (_lock)
        {
            return _listeners.GetValueOrDefault(port);
        }
    }

    /// <summary>
    /// Claims <paramref name="port"/> for <paramref name="client"/> serving <paramref name="target"/>:
    /// binds it when free; when the same client holds it, reserves a pending lease that takes over at
    /// <see cref="Activate"/> (the previous session is left alone until then); refuses when another
    /// client holds it, or when the same client serves a different target there with a live session.
    /// </summary>
    public ClaimResult TryClaim(int port, ClientRegistration client, string target)
    {
        lock (_lock)
        {
            if (_stopping)
            {
                return new ClaimResult(ClaimStatus.ShuttingDown);
            }

            if (_listeners.TryGetValue(port, out TunnelListener? listener))
            {
                TunnelLease current = listener.CurrentLease;
                if (!current.Client.HasTokenHash(client.TokenHash.Span))
                {
                    return new ClaimResult(ClaimStatus.PortInUse);
                }

                // Tokens cover port ranges, so a customer's second agent (another service) may reuse
                // the port by mistake: replacing would make the two agents flap. A lease without a
                // live session serves nothing, so it is taken over whatever its target.
                if (current.HasLiveSession && !SameTarget(current.Target, target))
                {
                    return new ClaimResult(ClaimStatus.TargetConflict, CurrentTarget: current.Target);
                }

                listener.PendingClaims++;
                return new ClaimResult(ClaimStatus.Claimed, new TunnelLease(listener, client, target, pending: true));
            }

            Socket socket;
            try
            {
                socket = ListenSocketFactory.Listen(_bindAddress, port);
            }
            catch (SocketException ex)
            {
                return new ClaimResult(ClaimStatus.PortUnavailable, Error: $"{ex.SocketErrorCode}: {ex.Message}");
            }

            listener = new TunnelListener(socket, client, target, _logger, _metrics, OnListenerFailed, AcceptOverride, _streamLimits);
            _listeners.Add(port, listener);
            ServerLog.TunnelOpened(_logger, port, listener.Address, client.Name);
            return new ClaimResult(ClaimStatus.Claimed, listener.CurrentLease);
        }
    }

    /// <summary>
    /// Gives the lease its session and makes it the port's current lease. A lease that takes over
    /// retires the previous session in the background: GOAWAY <see cref="ErrorCode.Replaced"/>, and its
    /// open connections get a short drain while new connections already go to the new session.
    /// False when the lease was superseded or ended meanwhile, the port was closed, the client lost
    /// the port in a reload, or the server is stopping: the caller must then close the session.
    /// </summary>
    /// <param name="lease">The lease from <see cref="TryClaim"/>.</param>
    /// <param name="session">Its new session.</param>
    /// <param name="replaced">True when a live session of the same client was replaced.</param>
    public bool Activate(TunnelLease lease, MuxSession session, out bool replaced)
    {
        replaced = false;
        MuxSession? previousSession;
        lock (_lock)
        {
            TunnelListener listener = lease.Listener;
            if (_stopping || lease.Ended
                || !_listeners.TryGetValue(lease.Port, out TunnelListener? registered) || !ReferenceEquals(registered, listener))
            {
                return false;
            }

            // The registry may have been reloaded between the claim and now.
            ClientRegistration? client = _registry.Current.FindByTokenHash(lease.Client.TokenHash.Span);
            if (client is null || !client.Ports.Contains(lease.Port))
            {
                return false;
            }

            lease.Client = client;
            if (!lease.Pending)
            {
                // The port's first lease: current from the start, unless a takeover overtook it.
                return ReferenceEquals(listener.CurrentLease, lease) && lease.TrySetSession(session);
            }

            if (!lease.TrySetSession(session))
            {
                return false;
            }

            lease.Pending = false;
            listener.PendingClaims--;
            TunnelLease previous = listener.MakeCurrent(lease);
            previousSession = previous.HasLiveSession ? previous.Session : null;
            if (previousSession is not null)
            {
                _retiring.Add(previousSession);
            }
        }

        if (previousSession is not null)
        {
            replaced = true;
            _ = RetireAsync(previousSession);
        }

        return true;
    }

    /// <summary>
    /// Ends <paramref name="lease"/>. When no session serves the port any more and no takeover is
    /// pending, the port is closed so that new connections are refused at once; a replaced lease
    /// leaves the port to its successor, and a failed takeover leaves it to the session it meant to replace.
    /// </summary>
    public void Release(TunnelLease lease)
    {
        TunnelListener listener = lease.Listener;
        lock (_lock)
        {
            if (lease.Pending)
            {
                lease.Pending = false;
                listener.PendingClaims--;
            }

            lease.End();
            if (!_listeners.TryGetValue(lease.Port, out TunnelListener? registered)
                || !ReferenceEquals(registered, listener)
                || !listener.CurrentLease.Ended
                || listener.PendingClaims > 0)
            {
                return;
            }

            _listeners.Remove(lease.Port);
        }

        listener.Dispose();
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

        // Replaced sessions already drain (for at most ShutdownTimeout); shutdown waits for them too.
        MuxSession[] retiring;
        lock (_lock)
        {
            retiring = [.. _retiring];
        }

        Task closing = Task.WhenAll(sessions.Select(s => s.CloseAsync(ErrorCode.NoError, "server shutting down", drainTimeout)));
        Task retired = Task.WhenAll(retiring.Select(s => s.Completion));
        Task bridges = Task.WhenAll(listeners.Select(l => l.WhenConnectionsClosedAsync()));
        try
        {
            await Task.WhenAll(closing, retired, bridges).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            MuxSession[] all = [.. sessions, .. retiring];
            ServerLog.ShutdownIncomplete(_logger, all.Count(s => !s.Completion.IsCompleted));
            foreach (MuxSession session in all)
            {
                session.Abort(ErrorCode.Shutdown, "server shutting down");
            }
        }
    }

    /// <summary>Closes a replaced session gracefully: its open connections may finish, new ones go to its successor.</summary>
    private async Task RetireAsync(MuxSession session)
    {
        try
        {
            await session.CloseAsync(ErrorCode.Replaced, "replaced by a new session of the same client", _replaceDrain).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ObjectDisposedException or InvalidOperationException or IOException)
        {
            // The session ended by itself meanwhile (its agent left, or its request finished and disposed it).
        }
        finally
        {
            lock (_lock)
            {
                _retiring.Remove(session);
            }
        }
    }

    /// <summary>
    /// The listening socket of <paramref name="listener"/> broke (it is disposed by now): forget the
    /// port so the next claim binds it afresh, and end its session so that the agent reconnects.
    /// </summary>
    private void OnListenerFailed(TunnelListener listener, Exception exception)
    {
        MuxSession? session;
        lock (_lock)
        {
            if (!_listeners.TryGetValue(listener.Port, out TunnelListener? registered) || !ReferenceEquals(registered, listener))
            {
                return;
            }

            _listeners.Remove(listener.Port);
            TunnelLease lease = listener.CurrentLease;
            session = lease.Session;

            // A session still being set up must not be activated on the dead port.
            lease.End();
        }

        ServerLog.TunnelClosed(_logger, listener.Port);
        session?.Abort(ErrorCode.InternalError, $"tunnel port {listener.Port} failed on the server ({exception.GetType().Name}); reconnect to open it again");
    }

    /// <summary>X-Tunnel-Target values name the same service: compared trimmed, ignoring case (host names are case-insensitive).</summary>
    private static bool SameTarget(string a, string b) =>
        string.Equals(a.Trim(), b.Trim(), StringComparison.OrdinalIgnoreCase);

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
