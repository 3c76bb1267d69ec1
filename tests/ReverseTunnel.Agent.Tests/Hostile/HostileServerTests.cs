using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using ReverseTunnel.Agent.Configuration;
using ReverseTunnel.Agent.Connection;
using ReverseTunnel.Agent.Reconnect;
using ReverseTunnel.Agent.Runtime;
using ReverseTunnel.Agent.Tests.Infrastructure;
using ReverseTunnel.Protocol;
using ReverseTunnel.Protocol.Framing;

namespace ReverseTunnel.Agent.Tests.Hostile;

/// <summary>
/// A server (or whoever holds its certificate) that misbehaves at the frame level cannot make the
/// agent crash, exhaust memory, or connect anywhere but its configured target.
/// </summary>
public sealed class HostileServerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact(Timeout = 60_000)]
    public async Task Session_GarbageAfterUpgrade_EndsWithProtocolErrorAndAgentReconnects()
    {
        var connections = Channel.CreateUnbounded<int>();
        int count = 0;
        using var certificate = TestCertificates.SelfSigned("localhost");
        await using TestServer host = await TestServer.StartAsync(certificate, async context =>
        {
            int n = Interlocked.Increment(ref count);
            using WebSocket webSocket = await AcceptAsync(context);
            connections.Writer.TryWrite(n);
            if (n == 1)
            {
                // Not a frame: type 0xEE, a 16 MiB length, then noise.
                byte[] garbage = [0xFF, 0xFF, 0xFF, 0xEE, 0xAB, 0xCD, 0xEF, 0x01, 0x23, .. Enumerable.Range(0, 200).Select(i => (byte)(i * 37))];
                await webSocket.SendAsync(garbage, WebSocketMessageType.Binary, true, CancellationToken.None);
            }

            await RawFrames.ReadFramesAsync(webSocket, (_, _) => false, context.RequestAborted);
        });
        var time = new FakeTimeProvider();
        var log = new LogRecorder();
        using ILoggerFactory loggers = log.CreateFactory();
        AgentOptions options = TestOptions.Create(host.Port, caCertificates: [certificate]);
        var agent = new TunnelAgent(options, new ServerConnector(options), new ExponentialBackoffPolicy(random: new FixedRandom(1.0)), time, loggers);
        using var stop = new CancellationTokenSource();

        Task<int> run = agent.RunAsync(stop.Token);
        Assert.Equal(1, await connections.Reader.ReadAsync().AsTask().WaitAsync(Timeout));
        LogEntry disconnected = await log.WaitForAsync(e => e.EventId == 2002);
        await log.WaitForAsync(e => e.EventId == 2003);
        time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(2, await connections.Reader.ReadAsync().AsTask().WaitAsync(Timeout));
        Assert.Contains("protocol error", disconnected.Message, StringComparison.Ordinal);
        Assert.False(run.IsCompleted);
        await stop.CancelAsync();
        Assert.Equal(ExitCodes.Stopped, await run.WaitAsync(Timeout));
    }

    [Fact(Timeout = 60_000)]
    public async Task Session_OpenFloodBeyondMaxStreams_RefusedWithRefusedStreamAndDialsBounded()
    {
        const int MaxStreams = 4;
        const int Opens = 200;
        using var target = new TcpListener(IPAddress.Loopback, 0);
        target.Start(Opens);
        var refused = new HashSet<uint>();
        var allRefused = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var certificate = TestCertificates.SelfSigned("localhost");
        await using TestServer host = await TestServer.StartAsync(certificate, async context =>
        {
            using WebSocket webSocket = await AcceptAsync(context);
            await RawFrames.SendAsync(webSocket, RawFrames.Hello());

            // Every OPEN at once, in one message: no chance for the agent to dial in between.
            await RawFrames.SendAsync(webSocket, [.. Enumerable.Range(0, Opens).Select(i => RawFrames.Frame(FrameType.Open, (uint)(2 * i) + 1))]);
            await RawFrames.ReadFramesAsync(webSocket, (header, payload) =>
            {
                if (header.Type == FrameType.Reset && RawFrames.Code(payload) == ErrorCode.RefusedStream)
                {
                    refused.Add(header.StreamId);
                    if (refused.Count == Opens - MaxStreams)
                    {
                        allRefused.TrySetResult();
                    }
                }

                return false;
            }, context.RequestAborted);
        });
        var log = new LogRecorder();
        using ILoggerFactory loggers = log.CreateFactory();
        AgentOptions options = WithTarget(TestOptions.Create(host.Port, caCertificates: [certificate]), ((IPEndPoint)target.LocalEndpoint).Port, maxStreams: MaxStreams);
        var agent = new TunnelAgent(options, new ServerConnector(options), new ExponentialBackoffPolicy(), new FakeTimeProvider(), loggers);
        using var stop = new CancellationTokenSource();

        Task<int> run = agent.RunAsync(stop.Token);
        await allRefused.Task.WaitAsync(Timeout);
        var dialled = new List<Socket>();
        for (int i = 0; i < MaxStreams; i++)
        {
            dialled.Add(await target.AcceptSocketAsync().WaitAsync(Timeout));
        }

        // Every refusal is in, and the streams it kept have dialled: none dials past the limit.
        Assert.Equal(Enumerable.Range(MaxStreams, Opens - MaxStreams).Select(i => (uint)(2 * i) + 1), refused.Order());
        Assert.False(target.Pending());
        Assert.DoesNotContain(log.Entries, e => e.EventId == 2002);
        dialled.ForEach(s => s.Dispose());
        await stop.CancelAsync();
        Assert.Equal(ExitCodes.Stopped, await run.WaitAsync(Timeout));
    }

    [Fact(Timeout = 60_000)]
    public async Task Session_ServerNeverReads_AgentReadsBoundedAmountFromTargetThenDropsTheSession()
    {
        const int StreamWindow = 64 * 1024;
        const long Wanted = 512L * 1024 * 1024;
        using var target = new TcpListener(IPAddress.Loopback, 0);
        target.Start();
        using var certificate = TestCertificates.SelfSigned("localhost");
        var opened = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using TestServer host = await TestServer.StartAsync(certificate, async context =>
        {
            using WebSocket webSocket = await AcceptAsync(context);
            await RawFrames.SendAsync(webSocket, RawFrames.Hello(StreamWindow, 2 * StreamWindow), RawFrames.Frame(FrameType.Open, 1));
            opened.TrySetResult();

            // Never reads again: no WINDOW_UPDATE, no pong, TCP buffers fill up.
            await Task.Delay(System.Threading.Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
        });
        var log = new LogRecorder();
        using ILoggerFactory loggers = log.CreateFactory();
        AgentOptions options = WithTarget(TestOptions.Create(host.Port, caCertificates: [certificate]), ((IPEndPoint)target.LocalEndpoint).Port, keepAlive: TimeSpan.FromSeconds(2));
        var agent = new TunnelAgent(options, new ServerConnector(options), new ExponentialBackoffPolicy(), new FakeTimeProvider(), loggers);
        using var stop = new CancellationTokenSource();

        Task<int> run = agent.RunAsync(stop.Token);
        await opened.Task.WaitAsync(Timeout);
        using Socket dialled = await target.AcceptSocketAsync().WaitAsync(Timeout);

        // The target offers far more than any buffer; what the agent takes is bounded by the
        // stream window plus the kernel's socket buffers, and then the agent drops the session
        // because the server answers no ping (KEEPALIVE_SECONDS=2).
        long written = 0;
        byte[] chunk = new byte[64 * 1024];
        Task<LogEntry> disconnected = log.WaitForAsync(e => e.EventId == 2002);
        try
        {
            while (written < Wanted && !disconnected.IsCompleted)
            {
                Task<int> send = dialled.SendAsync(chunk, SocketFlags.None);
                if (await Task.WhenAny(send, disconnected) == send)
                {
                    written += await send;
                }
            }
        }
        catch (SocketException)
        {
            // The agent reset the connection when the session went: the end this test waits for.
        }

        LogEntry line = await disconnected;
        Assert.True(written < 64L * 1024 * 1024, $"the agent took {written} octets from the target although the server granted {StreamWindow}");
        Assert.Contains("lost", line.Message, StringComparison.Ordinal);
        await stop.CancelAsync();
        Assert.Equal(ExitCodes.Stopped, await run.WaitAsync(Timeout));
    }

    private static async Task<WebSocket> AcceptAsync(HttpContext context) =>
        await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { SubProtocol = ProtocolVersion.SubProtocol });

    private static AgentOptions WithTarget(AgentOptions o, int targetPort, int maxStreams = 4_096, TimeSpan? keepAlive = null) => new()
    {
        TunnelPort = o.TunnelPort,
        TargetHost = o.TargetHost,
        TargetPort = targetPort,
        ServerHost = o.ServerHost,
        ServerPort = o.ServerPort,
        Token = o.Token,
        CaCertificates = o.CaCertificates,
        ServerConnectTimeout = o.ServerConnectTimeout,
        DialTimeout = o.DialTimeout,
        DrainTimeout = o.DrainTimeout,
        StopTimeout = o.StopTimeout,
        MaxStreams = maxStreams,
        KeepAlive = keepAlive ?? o.KeepAlive,
    };
}
