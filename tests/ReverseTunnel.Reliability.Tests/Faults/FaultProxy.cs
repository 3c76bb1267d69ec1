using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace ReverseTunnel.Reliability.Tests.Faults;

/// <summary>
/// A TCP proxy between agent and server that injects faults: latency with jitter and a bandwidth
/// cap per direction (<see cref="Set"/>, changeable at any time), a cut after N octets
/// (<see cref="CutAfterAsync"/>: forwards exactly N, then RST both ways, wherever that falls in a
/// TLS record or tunnel frame), a blackhole (<see cref="Blackhole"/>: nothing passes, no FIN, no
/// RST, sockets stay open) and an immediate reset of every connection (<see cref="ResetAll"/>).
/// Listens on 127.0.0.1, port 0.
/// </summary>
internal sealed class FaultProxy : IAsyncDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly IPEndPoint _upstream;
    private readonly ConcurrentDictionary<ProxyConnection, Task> _connections = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly FaultSettings[] _settings = [FaultSettings.None, FaultSettings.None];
    private readonly CutArm?[] _cuts = new CutArm?[2];
    private readonly long[] _forwarded = new long[2];
    private readonly Task _acceptLoop;
    private volatile bool _blackholeNew;
    private int _accepted;

    public FaultProxy(int upstreamPort)
    {
        _upstream = new IPEndPoint(IPAddress.Loopback, upstreamPort);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(64);
        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>The port agents connect to.</summary>
    public int Port { get; }

    /// <summary>Where the proxy forwards to; changeable (a restarted server may listen elsewhere).</summary>
    public int UpstreamPort
    {
        get => _upstream.Port;
        set => _upstream.Port = value;
    }

    /// <summary>Connections accepted so far.</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Connections open now (blackholed ones included).</summary>
    public int Open => _connections.Keys.Count(c => !c.IsClosed);

    /// <summary>Octets forwarded in a direction over all connections.</summary>
    public long Forwarded(Direction direction) => Interlocked.Read(ref _forwarded[(int)direction]);

    public FaultSettings Settings(Direction direction) => Volatile.Read(ref _settings[(int)direction]);

    /// <summary>Sets a direction's latency, jitter and rate; takes effect on the next chunk.</summary>
    public void Set(Direction direction, FaultSettings settings) => Volatile.Write(ref _settings[(int)direction], settings);

    public void SetBoth(FaultSettings settings)
    {
        Set(Direction.ToServer, settings);
        Set(Direction.ToAgent, settings);
    }

    /// <summary>
    /// Arms a cut: after <paramref name="bytes"/> more octets in <paramref name="direction"/> (over
    /// the open connections), the connection carrying the last one is reset on both sides. Completes
    /// when the cut has happened.
    /// </summary>
    public Task<long> CutAfterAsync(Direction direction, long bytes)
    {
        var arm = new CutArm(bytes);
        Volatile.Write(ref _cuts[(int)direction], arm);
        return arm.Fired;
    }

    /// <summary>
    /// Blackholes every open connection: octets either way are read and dropped, nothing else
    /// happens (no FIN, no RST). With <paramref name="newConnectionsToo"/>, later connections are
    /// accepted and blackholed too (a dead route); otherwise they pass (a NAT that lost its state).
    /// </summary>
    public int Blackhole(bool newConnectionsToo = false)
    {
        _blackholeNew = newConnectionsToo;
        int count = 0;
        foreach (ProxyConnection connection in _connections.Keys.Where(c => !c.IsClosed))
        {
            connection.Blackhole();
            count++;
        }

        return count;
    }

    /// <summary>Resets (RST) every open connection on both sides.</summary>
    public int ResetAll()
    {
        int count = 0;
        foreach (ProxyConnection connection in _connections.Keys.Where(c => !c.IsClosed))
        {
            connection.Abort();
            count++;
        }

        return count;
    }

    /// <summary>Back to a clean path for new chunks and connections; blackholed connections stay dead.</summary>
    public void Heal()
    {
        SetBoth(FaultSettings.None);
        _blackholeNew = false;
        _cuts[0] = null;
        _cuts[1] = null;
    }

    internal CutArm? Cut(Direction direction) => Volatile.Read(ref _cuts[(int)direction]);

    internal void ClearCut(Direction direction, CutArm arm) => Interlocked.CompareExchange(ref _cuts[(int)direction], null, arm);

    internal void CountForwarded(Direction direction, int bytes) => Interlocked.Add(ref _forwarded[(int)direction], bytes);

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Dispose();
        foreach (ProxyConnection connection in _connections.Keys)
        {
            connection.Abort();
        }

        try
        {
            await _acceptLoop.ConfigureAwait(false);
            await Task.WhenAll(_connections.Values).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException or TimeoutException)
        {
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket agentSide;
            try
            {
                agentSide = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                if (_stop.IsCancellationRequested)
                {
                    return;
                }

                continue;
            }

            Interlocked.Increment(ref _accepted);
            _ = Task.Run(() => ConnectAndRunAsync(agentSide));
        }
    }

    private async Task ConnectAndRunAsync(Socket agentSide)
    {
        var serverSide = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            agentSide.NoDelay = true;
            serverSide.NoDelay = true;
            await serverSide.ConnectAsync(_upstream, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Upstream down (a killed server): the agent sees what it would see without the proxy, a reset.
            try
            {
                agentSide.LingerState = new LingerOption(true, 0);
            }
            catch (SocketException)
            {
            }

            agentSide.Dispose();
            serverSide.Dispose();
            return;
        }

        var connection = new ProxyConnection(agentSide, serverSide, this, _blackholeNew);
        Task run = connection.RunAsync();
        _connections[connection] = run;
        await run.ConfigureAwait(false);
        _connections.TryRemove(connection, out _);
    }
}
