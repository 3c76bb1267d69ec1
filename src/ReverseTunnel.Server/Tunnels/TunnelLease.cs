using ReverseTunnel.Protocol.Multiplexing;
using ReverseTunnel.Server.Clients;

namespace ReverseTunnel.Server.Tunnels;

/// <summary>
/// One session's hold on a tunnel port, from the claim (before the WebSocket upgrade) to the end of
/// the session. A reconnect of the same client gives the listener a new lease; the old one is then
/// no longer current and its end leaves the listener alone.
/// </summary>
public sealed class TunnelLease
{
    private readonly TaskCompletionSource<MuxSession?> _session = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal TunnelLease(TunnelListener listener, ClientRegistration client)
    {
        Listener = listener;
        Client = client;
    }

    /// <summary>The port's listener.</summary>
    public TunnelListener Listener { get; }

    /// <summary>The client holding the port.</summary>
    public ClientRegistration Client { get; internal set; }

    /// <summary>The tunnel port.</summary>
    public int Port => Listener.Port;

    /// <summary>The session once activated; null before, or when the lease ended without one.</summary>
    public MuxSession? Session => _session.Task.IsCompletedSuccessfully ? _session.Task.Result : null;

    /// <summary>Completes with the session, or with null if the lease ends before it has one.</summary>
    internal Task<MuxSession?> SessionTask => _session.Task;

    internal bool TrySetSession(MuxSession session) => _session.TrySetResult(session);

    /// <summary>Ends the wait of connections that arrived before the session: they are refused.</summary>
    internal void Abandon() => _session.TrySetResult(null);
}
