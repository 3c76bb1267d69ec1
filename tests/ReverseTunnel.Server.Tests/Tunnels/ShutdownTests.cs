using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using ReverseTunnel.Protocol.Framing;
using ReverseTunnel.Protocol.Multiplexing;
using ReverseTunnel.Server.Tests.Infrastructure;

namespace ReverseTunnel.Server.Tests.Tunnels;

/// <summary>
/// Graceful shutdown of ws-server as the platform sees it on a tunnel port: no new connections,
/// open ones may finish within Tunnel:ShutdownTimeout, the rest are reset (never a FIN that could
/// pass for a complete response).
/// </summary>
public sealed class ShutdownTests : IAsyncLifetime
{
    private static readonly TimeSpan Drain = TimeSpan.FromSeconds(2);

    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync(null, null, "--Tunnel:ShutdownTimeout=00:00:02");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Stop_TwoOpenConnections_FinishedOneGetsFinIdleOneIsResetAtTimeout()
    {
        int port = FreePort.Next();
        FakeAgent agent = await FakeAgent.ConnectAsync(_server, TestClients.AlphaToken, port);
        using Socket finishing = await ConnectAsync(port);
        await agent.NextStreamAsync();
        using Socket idle = await ConnectAsync(port);
        await agent.NextStreamAsync();

        // Both connections are bridged end to end before the stop (the fake agent echoes).
        Assert.Equal([1], await ExchangeAsync(finishing, [1]));
        Assert.Equal([2], await ExchangeAsync(idle, [2]));

        Task<CapturedLog> portClosed = _server.Logs.WaitForAsync(e => e.EventId == 1031 && e.Message == $"Tunnel port {port} is closed.");
        var sinceStop = Stopwatch.StartNew();
        Task stopping = _server.App.StopAsync();
        await portClosed;
        CapturedLog started = await _server.Logs.WaitForAsync(e => e.EventId == 1040);
        Assert.Contains("up to 00:00:02", started.Message, StringComparison.Ordinal);

        // 1. The port is closed at once: a new connection is refused, not accepted and left to the drain.
        using (var late = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            SocketException refused = await Assert.ThrowsAsync<SocketException>(
                () => late.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port)).WaitAsync(TestTimeouts.Default));
            Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        }

        // 2. A connection that completes its exchange during the drain gets every byte and a clean
        // FIN. 100 KB is well inside the stream window, so it takes milliseconds, not the 2 s drain.
        byte[] request = RandomNumberGenerator.GetBytes(100_000);
        Task<byte[]> response = ReadToEndAsync(finishing);
        await SendAllAsync(finishing, request);
        finishing.Shutdown(SocketShutdown.Send);
        Assert.Equal(SHA256.HashData(request), SHA256.HashData(await response.WaitAsync(TestTimeouts.Default)));
        Assert.False(stopping.IsCompleted, "the idle connection must hold the drain open until the timeout");

        // 3. The idle connection is reset (RST, not FIN) once the drain timeout is over, and not
        // long after: the host's own deadline (ShutdownTimeout + 10 s) must not be what ends it.
        // 2 s of slack for a loaded 2-core machine; the reset itself is local to ws-server.
        SocketException reset = await Assert.ThrowsAsync<SocketException>(() => ReadToEndAsync(idle).WaitAsync(TestTimeouts.Default));
        TimeSpan resetAfter = sinceStop.Elapsed;
        Assert.Equal(SocketError.ConnectionReset, reset.SocketErrorCode);
        Assert.InRange(resetAfter, Drain - TimeSpan.FromMilliseconds(100), Drain + TimeSpan.FromSeconds(2));

        await stopping.WaitAsync(TestTimeouts.Default);
        SessionEnd end = await agent.Run.WaitAsync(TestTimeouts.Default);
        await agent.DisposeAsync();
        Assert.Equal(SessionEndReason.PeerGoAway, end.Reason);
        Assert.Equal(ErrorCode.NoError, end.Code);
    }

    private static async Task<Socket> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port)).WaitAsync(TestTimeouts.Default);
        return socket;
    }

    private static async Task<byte[]> ExchangeAsync(Socket socket, byte[] message)
    {
        await SendAllAsync(socket, message);
        byte[] buffer = new byte[message.Length];
        for (int read = 0; read < buffer.Length;)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None).AsTask().WaitAsync(TestTimeouts.Default);
            Assert.NotEqual(0, n);
            read += n;
        }

        return buffer;
    }

    private static async Task SendAllAsync(Socket socket, ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            data = data[await socket.SendAsync(data, SocketFlags.None).AsTask().WaitAsync(TestTimeouts.Default)..];
        }
    }

    /// <summary>Reads to the peer's FIN; a reset throws <see cref="SocketException"/> (ConnectionReset).</summary>
    private static async Task<byte[]> ReadToEndAsync(Socket socket)
    {
        using var received = new MemoryStream();
        byte[] buffer = new byte[65536];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None)) > 0)
        {
            received.Write(buffer, 0, read);
        }

        return received.ToArray();
    }
}
