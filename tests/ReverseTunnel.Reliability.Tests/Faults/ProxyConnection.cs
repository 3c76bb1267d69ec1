using System.Net.Sockets;

namespace ReverseTunnel.Reliability.Tests.Faults;

/// <summary>One agent connection through the proxy: the accepted socket, the upstream socket and a pump each way.</summary>
internal sealed class ProxyConnection
{
    private readonly Socket _agentSide;
    private readonly Socket _serverSide;
    private readonly CancellationTokenSource _aborted = new();
    private int _finishedPumps;
    private int _closed;
    private volatile bool _blackholed;

    public ProxyConnection(Socket agentSide, Socket serverSide, FaultProxy proxy, bool blackholed)
    {
        _agentSide = agentSide;
        _serverSide = serverSide;
        _blackholed = blackholed;
        ToServer = new ProxyPump(agentSide, serverSide, Direction.ToServer, proxy, this);
        ToAgent = new ProxyPump(serverSide, agentSide, Direction.ToAgent, proxy, this);
    }

    public ProxyPump ToServer { get; }

    public ProxyPump ToAgent { get; }

    /// <summary>Cancelled when the connection is reset or closed.</summary>
    public CancellationToken Aborted => _aborted.Token;

    /// <summary>True while nothing passes either way, silently.</summary>
    public bool Blackholed => _blackholed;

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    public Task RunAsync() => Task.WhenAll(ToServer.RunAsync(), ToAgent.RunAsync());

    /// <summary>From now on every octet either way is dropped: no FIN, no RST, both sockets stay open.</summary>
    public void Blackhole() => _blackholed = true;

    /// <summary>Resets both sides at once (RST: linger 0, then close).</summary>
    public void Abort()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        _aborted.Cancel();
        ResetAndDispose(_agentSide);
        ResetAndDispose(_serverSide);
    }

    /// <summary>
    /// A side failed (reset) or was closed under a pump: the other side is reset too, as a router
    /// would pass the RST on. Not while blackholed: then nothing at all reaches the other side.
    /// </summary>
    public void OnPumpFailed()
    {
        if (!_blackholed)
        {
            Abort();
        }
    }

    /// <summary>Called by a pump that passed its side's FIN on; the second one closes both sockets gracefully.</summary>
    public void OnPumpFinished()
    {
        if (Interlocked.Increment(ref _finishedPumps) == 2 && !_blackholed && Interlocked.Exchange(ref _closed, 1) == 0)
        {
            _aborted.Cancel();
            _agentSide.Dispose();
            _serverSide.Dispose();
        }
    }

    private static void ResetAndDispose(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already closed: disposing is all that is left.
        }

        socket.Dispose();
    }
}
