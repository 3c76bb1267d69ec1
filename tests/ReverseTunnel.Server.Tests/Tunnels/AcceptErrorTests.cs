using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using ReverseTunnel.Protocol.Framing;
using ReverseTunnel.Protocol.Multiplexing;
using ReverseTunnel.Server.Tests.Infrastructure;
using ReverseTunnel.Server.Tunnels;

namespace ReverseTunnel.Server.Tests.Tunnels;

/// <summary>Accept errors: transient ones are retried with back-off; a broken listening socket ends the session so the port is bound again.</summary>
public sealed class AcceptErrorTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Accept_TransientErrors_PortKeepsServing()
    {
        int failures = 0;
        _server.Tunnels.AcceptOverride = (socket, ct) => Interlocked.Increment(ref failures) <= 2
            ? ValueTask.FromException<Socket>(new SocketException((int)SocketError.TooManyOpenSockets))
            : socket.AcceptAsync(ct);
        int port = FreePort.Next();
        await using FakeAgent agent = await FakeAgent.ConnectAsync(_server, TestClients.AlphaToken, port);
        TunnelListener listener = _server.Tunnels.GetListener(port)!;

        // The connection waits in the backlog while the listener backs off (100 ms, then 200 ms).
        Assert.Equal([1, 2], await TunnelClient.RoundTripAsync(IPAddress.Loopback, port, [1, 2]));

        Assert.Same(listener, _server.Tunnels.GetListener(port));
        Assert.False(agent.Run.IsCompleted, "a transient accept error must not end the session");
        Assert.Equal(2, _server.Logs.Entries.Count(e => e.EventId == 1035 && e.Level == LogLevel.Warning));
        Assert.DoesNotContain(_server.Logs.Entries, e => e.EventId == 1033);
    }

    [Fact]
    public async Task Accept_ListenerSocketBroken_SessionEndsAndPortIsBoundAgain()
    {
        var broken = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int calls = 0;
        _server.Tunnels.AcceptOverride = async (socket, ct) =>
        {
            if (Interlocked.Increment(ref calls) == 2)
            {
                await broken.Task.WaitAsync(ct);
                throw new ObjectDisposedException(typeof(Socket).FullName);
            }

            return await socket.AcceptAsync(ct);
        };
        int port = FreePort.Next();
        FakeAgent first = await FakeAgent.ConnectAsync(_server, TestClients.AlphaToken, port);
        Assert.Equal([1], await TunnelClient.RoundTripAsync(IPAddress.Loopback, port, [1]));
        _server.Tunnels.AcceptOverride = null;

        broken.SetResult();
        SessionEnd end = await first.Run.WaitAsync(TestTimeouts.Default);
        await first.DisposeAsync();

        Assert.Equal(ErrorCode.InternalError, end.Code);
        Assert.Null(_server.Tunnels.GetListener(port));
        Assert.Contains(_server.Logs.Entries, e => e.EventId == 1033 && e.Level == LogLevel.Error);

        // The agent reconnects and the port is bound afresh.
        await using FakeAgent second = await FakeAgent.ConnectAsync(_server, TestClients.AlphaToken, port);
        Assert.Equal([2], await TunnelClient.RoundTripAsync(IPAddress.Loopback, port, [2]));
    }
}
