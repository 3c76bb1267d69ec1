using ReverseTunnel.Protocol.Multiplexing;
using ReverseTunnel.Server.Clients;

namespace ReverseTunnel.Server.Tunnels;

/// <summary>
/// One session's hold on a tunnel port, from the claim (before the WebSocket upgrade) to the end of
/// the session. The first lease of a port is current from the start. A reconnect of the same client
/// gets a pending lease that becomes current only once its session exists (activation); until then
/// the previous session keeps serving the port, so a failed upgrade disturbs nothing.
/// </summary>
public sealed class TunnelLease
{
    private readonly TaskCompletionSource<MuxSession?> _session = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _streams;

    internal TunnelLease(TunnelListener listener, ClientRegistration client, string target, bool pending)
    {
        Listener = listener;
        Client = client;
        Target = target;
        Pending = pending;
    }

    /// <summary>The port's listener.</summary>
    public TunnelListener Listener { get; }

    /// <summary>The client holding the port.</summary>
    public ClientRegistration Client { get; internal set; }

    /// <summary>The agent's X-Tunnel-Target (sanitised): the service this lease serves on the port.</summary>
    public string Target { get; }

    /// <summary>The tunnel port.</summary>
    public int Port => Listener.Port;

    /// <summary>The session once activated; null before, or when the lease ended without one.</summary>
    public MuxSession? Session => _session.Task.IsCompletedSuccessfully ? _session.Task.Result : null;

    /// <summary>True while the lease has a session that has not ended.</summary>
    public bool HasLiveSession => Session is { Completion.IsCompleted: false } && !Ended;

    /// <summary>Completes with the session, or with null if the lease ends before it has one.</summary>
    internal Task<MuxSession?> SessionTask => _session.Task;

    /// <summary>
    /// A takeover claim waiting for its upgrade: not yet the listener's current lease. Guarded by the
    /// manager's lock.
    /// </summary>
    internal bool Pending { get; set; }

    /// <summary>Released: the session ended or never came. Guarded by the manager's lock.</summary>
    internal bool Ended { get; private set; }

    /// <summary>Counts a connection of this lease's session; false (nothing counted) at <paramref name="max"/>.</summary>
    internal bool TryAddStream(int max)
    {
        while (true)
        {
            int current = Volatile.Read(ref _streams);
            if (current >= max)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _streams, current + 1, current) == current)
            {
                return true;
            }
        }
    }

    /// <summary>Uncounts a connection counted by <see cref="TryAddStream"/>.</summary>
    internal void RemoveStream() => Interlocked.Decrement(ref _streams);

    internal bool TrySetSession(MuxSession session) => _session.TrySetResult(session);

    /// <summary>Ends the wait of connections that arrived before the session: they are refused.</summary>
    internal void Abandon() => _session.TrySetResult(null);

    /// <summary>Marks the lease released and abandons it.</summary>
    internal void End()
    {
        Ended = true;
        Abandon();
    }
}
