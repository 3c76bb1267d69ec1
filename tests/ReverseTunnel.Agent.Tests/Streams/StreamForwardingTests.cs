using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using ReverseTunnel.Agent.Connection;
using ReverseTunnel.Agent.Reconnect;
using ReverseTunnel.Agent.Runtime;
using ReverseTunnel.Agent.Streams;
using ReverseTunnel.Agent.Tests.Infrastructure;
using ReverseTunnel.Protocol.Framing;
using ReverseTunnel.Protocol.Multiplexing;

namespace ReverseTunnel.Agent.Tests.Streams;

public sealed class StreamForwardingTests
{
    [Fact(Timeout = 30_000)]
    public async Task ServerOpensStream_ReachesOnlyTheConfiguredTarget()
    {
        using var target = new TcpListener(IPAddress.Loopback, 0);
        using var decoy = new TcpListener(IPAddress.Loopback, 0);
        target.Start();
        decoy.Start();
        await using Harness harness = await Harness.StartAsync(((IPEndPoint)target.LocalEndpoint).Port);

        // Data sent before the agent has dialled is held by the stream and delivered after.
        MuxStream stream = await harness.Session.OpenStreamAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        await stream.WriteAsync("ping"u8.ToArray()).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        stream.CompleteWrites();

        using Socket accepted = await target.AcceptSocketAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("ping", await ReadToEndAsync(accepted));
        await accepted.SendAsync("pong"u8.ToArray());
        accepted.Shutdown(SocketShutdown.Send);

        Assert.Equal("pong", await ReadToEndAsync(stream.Input));
        Assert.False(decoy.Pending());
    }

    [Fact(Timeout = 30_000)]
    public async Task ServerOpensStream_TargetRefuses_StreamIsResetWithConnectRefused()
    {
        var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        int port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        await using Harness harness = await Harness.StartAsync(port);

        MuxStream stream = await harness.Session.OpenStreamAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        var reset = await Assert.ThrowsAsync<StreamResetException>(() => ReadToEndAsync(stream.Input));

        Assert.Equal(ErrorCode.ConnectRefused, reset.Code);
        LogEntry debug = await harness.Log.WaitForAsync(e => e.EventId == 2101);
        Assert.Equal(LogLevel.Debug, debug.Level);
    }

    [Theory]
    [InlineData(SocketError.ConnectionRefused, ErrorCode.ConnectRefused)]
    [InlineData(SocketError.TimedOut, ErrorCode.ConnectTimeout)]
    [InlineData(SocketError.HostNotFound, ErrorCode.HostUnreachable)]
    [InlineData(SocketError.NetworkUnreachable, ErrorCode.HostUnreachable)]
    [InlineData(SocketError.HostUnreachable, ErrorCode.HostUnreachable)]
    public void Map_SocketError_GivesResetCode(SocketError error, ErrorCode expected)
    {
        Assert.Equal(expected, TargetDialer.Map(error));
    }

    [Fact(Timeout = 30_000)]
    public async Task DialAsync_NoAnswerWithinTimeout_IsConnectTimeout()
    {
        // A listener whose accept queue is full: Linux drops further SYNs, so the dial gets no answer.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var fillers = new List<Socket>();
        try
        {
            for (int i = 0; i < 2; i++)
            {
                var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                fillers.Add(filler);
                await filler.ConnectAsync(IPAddress.Loopback, port).WaitAsync(TimeSpan.FromSeconds(30));
            }

            var dialer = new TargetDialer("127.0.0.1", port, TimeSpan.FromMilliseconds(300));
            DialResult result = await dialer.DialAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

            Assert.False(result.Succeeded, "the dial should not have been answered");
            Assert.Equal(ErrorCode.ConnectTimeout, result.Code);
            Assert.Contains("DIAL_TIMEOUT_SECONDS", result.Error, StringComparison.Ordinal);
        }
        finally
        {
            fillers.ForEach(f => f.Dispose());
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task ServerResetsStreamWhileDialling_DialIsCancelledAtOnce()
    {
        // A target whose accept queue is full: the dial gets no answer and would last the whole
        // DIAL_TIMEOUT (an hour here) unless the reset cancels it.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        int port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var fillers = new List<Socket>();
        try
        {
            for (int i = 0; i < 2; i++)
            {
                var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                fillers.Add(filler);
                await filler.ConnectAsync(IPAddress.Loopback, port).WaitAsync(TimeSpan.FromSeconds(30));
            }

            await using Harness harness = await Harness.StartAsync(port, dialTimeout: TimeSpan.FromHours(1));

            // The client connected to TUNNEL_PORT and left at once.
            MuxStream stream = await harness.Session.OpenStreamAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            stream.Reset(ErrorCode.Cancel, "the client left");

            LogEntry cancelled = await harness.Log.WaitForAsync(e => e.EventId == 2103);
            Assert.Equal(LogLevel.Debug, cancelled.Level);
            Assert.Contains($"Stream {stream.Id}: reset by the server", cancelled.Message, StringComparison.Ordinal);
            Assert.Contains("(1 so far in this session)", cancelled.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(harness.Log.Entries, e => e.EventId is 2100 or 2101);
        }
        finally
        {
            fillers.ForEach(f => f.Dispose());
        }
    }

    private static async Task<string> ReadToEndAsync(Socket socket)
    {
        var received = new MemoryStream();
        byte[] buffer = new byte[1024];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(30))) > 0)
        {
            received.Write(buffer, 0, read);
        }

        return Encoding.ASCII.GetString(received.ToArray());
    }

    private static async Task<string> ReadToEndAsync(PipeReader input)
    {
        var text = new StringBuilder();
        while (true)
        {
            ReadResult result = await input.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            text.Append(Encoding.ASCII.GetString(result.Buffer.ToArray()));
            input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                await input.CompleteAsync();
                return text.ToString();
            }
        }
    }

    /// <summary>A real agent loop connected to a real Kestrel test server.</summary>
    private sealed class Harness : IAsyncDisposable
    {
        private readonly TestServer _host;
        private readonly ILoggerFactory _loggers;
        private readonly CancellationTokenSource _stop;
        private readonly Task<int> _run;

        private Harness(TestServer host, LogRecorder log, ILoggerFactory loggers, CancellationTokenSource stop, Task<int> run, MuxSession session)
        {
            _host = host;
            Log = log;
            _loggers = loggers;
            _stop = stop;
            _run = run;
            Session = session;
        }

        public LogRecorder Log { get; }

        public MuxSession Session { get; }

        public static async Task<Harness> StartAsync(int targetPort, TimeSpan? dialTimeout = null)
        {
            var certificate = TestCertificates.SelfSigned("localhost");
            var server = new MuxServer();
            TestServer host = await TestServer.StartAsync(certificate, server.HandleAsync);
            var log = new LogRecorder();
            ILoggerFactory loggers = log.CreateFactory();
            var options = TestOptions.Create(host.Port, targetPort: targetPort, caCertificates: [certificate], dialTimeout: dialTimeout);
            var agent = new TunnelAgent(options, new ServerConnector(options), new ExponentialBackoffPolicy(), TimeProvider.System, loggers);
            var stop = new CancellationTokenSource();
            Task<int> run = agent.RunAsync(stop.Token);
            AcceptedSession accepted = await server.NextSessionAsync();
            return new Harness(host, log, loggers, stop, run, accepted.Session);
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            Assert.Equal(ExitCodes.Stopped, await _run.WaitAsync(TimeSpan.FromSeconds(30)));
            await _host.DisposeAsync();
            _loggers.Dispose();
            _stop.Dispose();
        }
    }
}
