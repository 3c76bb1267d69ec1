using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using ReverseTunnel.Agent.Configuration;
using ReverseTunnel.Agent.Connection;
using ReverseTunnel.Agent.Reconnect;
using ReverseTunnel.Agent.Runtime;
using ReverseTunnel.Agent.Tests.Infrastructure;
using ReverseTunnel.Protocol.Framing;
using ReverseTunnel.Protocol.Multiplexing;

namespace ReverseTunnel.Agent.Tests.Runtime;

public sealed class TunnelAgentTests
{
    private static readonly ConnectFailure Refused = new(ConnectFailureKind.ConnectionRefused, "connection refused by 127.0.0.1:1");

    [Fact(Timeout = 30_000)]
    public async Task RunAsync_FailuresRepeat_WaitsGrowingDelaysOnTheInjectedClock()
    {
        var time = new FakeTimeProvider();
        var log = new LogRecorder();
        using ILoggerFactory loggers = log.CreateFactory();
        var connector = new ScriptedConnector(_ => ConnectResult.Failed(Refused));
        var agent = new TunnelAgent(TestOptions.Create(1), connector, new ExponentialBackoffPolicy(random: new FixedRandom(1.0)), time, loggers);
        using var stop = new CancellationTokenSource();

        Task<int> run = agent.RunAsync(stop.Token);
        await connector.WaitForCallAsync(1);
        LogEntry first = await log.WaitForAsync(e => e.EventId == 2003);
        Assert.Equal("Retrying in 1 s (attempt 2)", first.Message);

        time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Equal(1, connector.Calls);
        time.Advance(TimeSpan.FromMilliseconds(1));
        await connector.WaitForCallAsync(2);
        Assert.Equal("Retrying in 2 s (attempt 3)", (await log.WaitForAsync(e => e.EventId == 2003, skip: 1)).Message);

        time.Advance(TimeSpan.FromSeconds(2));
        await connector.WaitForCallAsync(3);
        Assert.Equal("Retrying in 4 s (attempt 4)", (await log.WaitForAsync(e => e.EventId == 2003, skip: 2)).Message);
        Assert.Contains(log.Entries, e => e.EventId == 2004 && e.Level == LogLevel.Warning && e.Message.Contains("connection refused", StringComparison.Ordinal));

        await stop.CancelAsync();
        Assert.Equal(ExitCodes.Stopped, await run.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Theory(Timeout = 30_000)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    public async Task RunAsync_TerminalRefusal_ExitsWithItsCodeWithoutRetrying(int exitCode)
    {
        var log = new LogRecorder();
        using ILoggerFactory loggers = log.CreateFactory();
        var failure = new ConnectFailure(ConnectFailureKind.HttpStatus, "the server refused the tunnel (HTTP 409 port_in_use): port 5000 is already served", ExitCode: exitCode, Fix: "choose another TUNNEL_PORT");
        var connector = new ScriptedConnector(_ => ConnectResult.Failed(failure));
        var agent = new TunnelAgent(TestOptions.Create(1), connector, new ExponentialBackoffPolicy(), new FakeTimeProvider(), loggers);

        int code = await agent.RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(exitCode, code);
        Assert.Equal(1, connector.Calls);
        LogEntry error = Assert.Single(log.Entries, e => e.Level == LogLevel.Error);
        Assert.Equal(2005, error.EventId);
        Assert.Contains("choose another TUNNEL_PORT", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(log.Entries, e => e.EventId == 2003);
    }

    [Fact(Timeout = 30_000)]
    public async Task RunAsync_StoppedWhileWaiting_ReturnsZero()
    {
        var log = new LogRecorder();
        using ILoggerFactory loggers = log.CreateFactory();
        var connector = new ScriptedConnector(_ => ConnectResult.Failed(Refused));
        var agent = new TunnelAgent(TestOptions.Create(1), connector, new ExponentialBackoffPolicy(), new FakeTimeProvider(), loggers);
        using var stop = new CancellationTokenSource();

        Task<int> run = agent.RunAsync(stop.Token);
        await log.WaitForAsync(e => e.EventId == 2003);
        await stop.CancelAsync();

        Assert.Equal(ExitCodes.Stopped, await run.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(1, connector.Calls);
    }

    [Fact(Timeout = 30_000)]
    public async Task RunAsync_SessionReplaced_WarnsAndWaitsTheMaximumDelay()
    {
        using var certificate = TestCertificates.SelfSigned("localhost");
        var server = new MuxServer();
        await using TestServer host = await TestServer.StartAsync(certificate, server.HandleAsync);
        var time = new FakeTimeProvider();
        var log = new LogRecorder();
        using ILoggerFactory loggers = log.CreateFactory();
        var options = TestOptions.Create(host.Port, caCertificates: [certificate]);
        var policy = new ExponentialBackoffPolicy(maxDelay: TimeSpan.FromSeconds(30), random: new FixedRandom(1.0));
        var agent = new TunnelAgent(options, new ServerConnector(options), policy, time, loggers);
        using var stop = new CancellationTokenSource();

        Task<int> run = agent.RunAsync(stop.Token);
        AcceptedSession accepted = await server.NextSessionAsync();
        await log.WaitForAsync(e => e.EventId == 2001);
        await accepted.Session.CloseAsync(ErrorCode.Replaced, "another agent took over", TimeSpan.Zero).WaitAsync(TimeSpan.FromSeconds(30));

        LogEntry replaced = await log.WaitForAsync(e => e.EventId == 2006);
        LogEntry retry = await log.WaitForAsync(e => e.EventId == 2003);

        Assert.Equal(LogLevel.Warning, replaced.Level);
        Assert.StartsWith("Disconnected: replaced by another ws-agent", replaced.Message, StringComparison.Ordinal);
        Assert.Contains("same CLIENT_UUID and TUNNEL_PORT 5000", replaced.Message, StringComparison.Ordinal);
        Assert.Contains("waiting 30 s", replaced.Message, StringComparison.Ordinal);
        Assert.Contains("If one of them is a duplicate, stop it", replaced.Message, StringComparison.Ordinal);
        Assert.Contains("give each service its own TUNNEL_PORT", replaced.Message, StringComparison.Ordinal);
        Assert.StartsWith("Retrying in 30 s", retry.Message, StringComparison.Ordinal);
        await stop.CancelAsync();
        Assert.Equal(ExitCodes.Stopped, await run.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact(Timeout = 30_000)]
    public async Task RunAsync_HealthySessionEnds_BackoffStartsOver()
    {
        using var certificate = TestCertificates.SelfSigned("localhost");
        var server = new MuxServer();
        await using TestServer host = await TestServer.StartAsync(certificate, server.HandleAsync);
        var time = new FakeTimeProvider();
        var log = new LogRecorder();
        using ILoggerFactory loggers = log.CreateFactory();
        var options = TestOptions.Create(host.Port, caCertificates: [certificate]);
        var real = new ServerConnector(options);
        var connector = new ScriptedConnector((call, ct) => call == 1 ? Task.FromResult(ConnectResult.Failed(Refused)) : real.ConnectAsync(ct));
        var agent = new TunnelAgent(options, connector, new ExponentialBackoffPolicy(random: new FixedRandom(1.0)), time, loggers);
        using var stop = new CancellationTokenSource();

        Task<int> run = agent.RunAsync(stop.Token);
        Assert.Equal("Retrying in 1 s (attempt 2)", (await log.WaitForAsync(e => e.EventId == 2003)).Message);
        time.Advance(TimeSpan.FromSeconds(1));
        AcceptedSession accepted = await server.NextSessionAsync();
        await log.WaitForAsync(e => e.EventId == 2001);
        time.Advance(options.HealthySessionDuration);
        await accepted.Session.CloseAsync(ErrorCode.NoError, "server restarting", TimeSpan.Zero).WaitAsync(TimeSpan.FromSeconds(30));

        LogEntry disconnected = await log.WaitForAsync(e => e.EventId == 2002);
        LogEntry retry = await log.WaitForAsync(e => e.EventId == 2003, skip: 1);

        Assert.StartsWith("Disconnected: the server closed the session", disconnected.Message, StringComparison.Ordinal);
        Assert.Equal("Retrying in 1 s (attempt 1)", retry.Message);
        await stop.CancelAsync();
        Assert.Equal(ExitCodes.Stopped, await run.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact(Timeout = 30_000)]
    public async Task RunAsync_StoppedWhileConnected_ClosesTheSessionGracefullyAndReturnsZero()
    {
        using var certificate = TestCertificates.SelfSigned("localhost");
        var server = new MuxServer();
        await using TestServer host = await TestServer.StartAsync(certificate, server.HandleAsync);
        var log = new LogRecorder();
        using ILoggerFactory loggers = log.CreateFactory();
        var options = TestOptions.Create(host.Port, caCertificates: [certificate]);
        var agent = new TunnelAgent(options, new ServerConnector(options), new ExponentialBackoffPolicy(), TimeProvider.System, loggers);
        using var stop = new CancellationTokenSource();

        Task<int> run = agent.RunAsync(stop.Token);
        AcceptedSession accepted = await server.NextSessionAsync();
        LogEntry connected = await log.WaitForAsync(e => e.EventId == 2001);
        await stop.CancelAsync();

        Assert.Equal(ExitCodes.Stopped, await run.WaitAsync(TimeSpan.FromSeconds(30)));
        SessionEnd end = await accepted.Run.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(SessionEndReason.PeerGoAway, end.Reason);
        Assert.Equal(ErrorCode.NoError, end.Code);
        Assert.Equal($"Connected to wss://127.0.0.1:{host.Port}/tunnel; serving TUNNEL_PORT 5000 -> 127.0.0.1:9", connected.Message);
        Assert.DoesNotContain(log.Entries, e => e.Message.Contains(TestOptions.Token, StringComparison.Ordinal));
    }

    [Fact(Timeout = 30_000)]
    public async Task RunAsync_ServerRefusesWithPortInUse_ExitsFiveAndNeverLogsTheToken()
    {
        using var certificate = TestCertificates.SelfSigned("localhost");
        await using TestServer host = await TestServer.StartAsync(certificate,
            TestServer.Refuse(409, "port_in_use", "Port 5000 is already served by another client."));
        var log = new LogRecorder();
        using ILoggerFactory loggers = log.CreateFactory();
        var options = TestOptions.Create(host.Port, caCertificates: [certificate]);
        var agent = new TunnelAgent(options, new ServerConnector(options), new ExponentialBackoffPolicy(), new FakeTimeProvider(), loggers);

        int code = await agent.RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(ExitCodes.PortInUse, code);
        LogEntry error = Assert.Single(log.Entries, e => e.Level == LogLevel.Error);
        Assert.Contains("Port 5000 is already served by another client.", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(log.Entries, e => e.Message.Contains(TestOptions.Token, StringComparison.Ordinal));
    }

    [Fact(Timeout = 30_000)]
    public async Task RunAsync_HealthySessionEnds_FirstRetryIsJittered()
    {
        using var certificate = TestCertificates.SelfSigned("localhost");
        var server = new MuxServer();
        await using TestServer host = await TestServer.StartAsync(certificate, server.HandleAsync);
        var time = new FakeTimeProvider();
        var log = new LogRecorder();
        using ILoggerFactory loggers = log.CreateFactory();
        var options = TestOptions.Create(host.Port, caCertificates: [certificate]);
        var agent = new TunnelAgent(options, new ServerConnector(options), new ExponentialBackoffPolicy(random: new FixedRandom(0.0)), time, loggers);
        using var stop = new CancellationTokenSource();

        Task<int> run = agent.RunAsync(stop.Token);
        AcceptedSession accepted = await server.NextSessionAsync();
        await log.WaitForAsync(e => e.EventId == 2001);
        time.Advance(options.HealthySessionDuration);
        await accepted.Session.CloseAsync(ErrorCode.NoError, "server restarting", TimeSpan.Zero).WaitAsync(TimeSpan.FromSeconds(30));

        // Not exactly 1 s: every agent of a restarted server gets here at once.
        Assert.Equal("Retrying in 0.5 s (attempt 1)", (await log.WaitForAsync(e => e.EventId == 2003)).Message);
        await stop.CancelAsync();
        Assert.Equal(ExitCodes.Stopped, await run.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact(Timeout = 30_000)]
    public async Task RunAsync_ShortSessionThatCarriedAStream_BackoffKeepsGrowing()
    {
        var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        int targetPort = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        using var certificate = TestCertificates.SelfSigned("localhost");
        var server = new MuxServer();
        await using TestServer host = await TestServer.StartAsync(certificate, server.HandleAsync);
        var time = new FakeTimeProvider();
        var log = new LogRecorder();
        using ILoggerFactory loggers = log.CreateFactory();
        var options = TestOptions.Create(host.Port, targetPort: targetPort, caCertificates: [certificate]);
        var real = new ServerConnector(options);
        var connector = new ScriptedConnector((call, ct) => call == 1 ? Task.FromResult(ConnectResult.Failed(Refused)) : real.ConnectAsync(ct));
        var agent = new TunnelAgent(options, connector, new ExponentialBackoffPolicy(random: new FixedRandom(1.0)), time, loggers);
        using var stop = new CancellationTokenSource();

        Task<int> run = agent.RunAsync(stop.Token);
        Assert.Equal("Retrying in 1 s (attempt 2)", (await log.WaitForAsync(e => e.EventId == 2003)).Message);
        time.Advance(TimeSpan.FromSeconds(1));
        AcceptedSession accepted = await server.NextSessionAsync();
        await accepted.Session.OpenStreamAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        await log.WaitForAsync(e => e.EventId == 2101);
        // The server crashes right after one stream, long before HealthySessionDuration.
        await accepted.Session.CloseAsync(ErrorCode.InternalError, "crashed", TimeSpan.Zero).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("Retrying in 2 s (attempt 3)", (await log.WaitForAsync(e => e.EventId == 2003, skip: 1)).Message);
        await stop.CancelAsync();
        Assert.Equal(ExitCodes.Stopped, await run.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact(Timeout = 30_000)]
    public async Task RunAsync_WafAnswers403_LogsStatusAndRetriesInsteadOfExiting()
    {
        using var certificate = TestCertificates.SelfSigned("localhost");
        await using TestServer host = await TestServer.StartAsync(certificate,
            TestServer.RefuseWithHtml(403, "<html><body><h1>403 Forbidden</h1>Request blocked by WAF</body></html>"));
        var time = new FakeTimeProvider();
        var log = new LogRecorder();
        using ILoggerFactory loggers = log.CreateFactory();
        var options = TestOptions.Create(host.Port, caCertificates: [certificate]);
        var real = new ServerConnector(options);
        var connector = new ScriptedConnector((_, ct) => real.ConnectAsync(ct));
        var agent = new TunnelAgent(options, connector, new ExponentialBackoffPolicy(random: new FixedRandom(1.0)), time, loggers);
        using var stop = new CancellationTokenSource();

        Task<int> run = agent.RunAsync(stop.Token);
        LogEntry failed = await log.WaitForAsync(e => e.EventId == 2004);
        Assert.Equal("Retrying in 1 s (attempt 2)", (await log.WaitForAsync(e => e.EventId == 2003)).Message);
        time.Advance(TimeSpan.FromSeconds(1));
        await connector.WaitForCallAsync(2);

        Assert.Equal(LogLevel.Warning, failed.Level);
        Assert.Contains("HTTP 403", failed.Message, StringComparison.Ordinal);
        Assert.Contains("Request blocked by WAF", failed.Message, StringComparison.Ordinal);
        Assert.False(run.IsCompleted);
        Assert.DoesNotContain(log.Entries, e => e.Level >= LogLevel.Error);
        await stop.CancelAsync();
        Assert.Equal(ExitCodes.Stopped, await run.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact(Timeout = 30_000)]
    public async Task RunAsync_StoppedButSessionNeverCloses_DropsTheConnectionAtStopTimeout()
    {
        // The target accepts (from the backlog) and never speaks or closes, so the stream never
        // finishes, and the drain is longer than the stop bound: only the bound can end the stop.
        using var target = new TcpListener(IPAddress.Loopback, 0);
        target.Start();
        using var certificate = TestCertificates.SelfSigned("localhost");
        var server = new MuxServer();
        await using TestServer host = await TestServer.StartAsync(certificate, server.HandleAsync);
        var time = new FakeTimeProvider();
        var log = new LogRecorder();
        using ILoggerFactory loggers = log.CreateFactory();
        var options = TestOptions.Create(host.Port, targetPort: ((IPEndPoint)target.LocalEndpoint).Port, caCertificates: [certificate],
            drainTimeout: TimeSpan.FromMinutes(10), stopTimeout: TimeSpan.FromSeconds(8.5));
        var agent = new TunnelAgent(options, new ServerConnector(options), new ExponentialBackoffPolicy(), time, loggers);
        using var stop = new CancellationTokenSource();

        Task<int> run = agent.RunAsync(stop.Token);
        AcceptedSession accepted = await server.NextSessionAsync();
        await accepted.Session.OpenStreamAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        await log.WaitForAsync(e => e.EventId == 2100);
        await stop.CancelAsync();
        await log.WaitForAsync(e => e.EventId == 2008);
        Assert.False(run.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(8.5));

        Assert.Equal(ExitCodes.Stopped, await run.WaitAsync(TimeSpan.FromSeconds(30)));
        LogEntry dropped = Assert.Single(log.Entries, e => e.EventId == 2013);
        Assert.Equal(LogLevel.Warning, dropped.Level);
        Assert.Contains("8.5 s", dropped.Message, StringComparison.Ordinal);
        await accepted.Run.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact(Timeout = 30_000)]
    public async Task RunAsync_InsecureSkipVerify_LogsOneLoudWarningPerSession()
    {
        // A certificate the agent could not verify (wrong name, no CA given): only the insecure mode connects.
        using var certificate = TestCertificates.SelfSigned("wrong.example", includeLoopbackIp: false);
        var server = new MuxServer();
        await using TestServer host = await TestServer.StartAsync(certificate, server.HandleAsync);
        var log = new LogRecorder();
        using ILoggerFactory loggers = log.CreateFactory();
        var options = TestOptions.Create(host.Port, insecure: true);
        var agent = new TunnelAgent(options, new ServerConnector(options), new ExponentialBackoffPolicy(), new FakeTimeProvider(), loggers);
        using var stop = new CancellationTokenSource();

        Task<int> run = agent.RunAsync(stop.Token);
        await server.NextSessionAsync();
        await log.WaitForAsync(e => e.EventId == 2001);
        await stop.CancelAsync();
        Assert.Equal(ExitCodes.Stopped, await run.WaitAsync(TimeSpan.FromSeconds(30)));

        // One session, one warning: loud enough to be seen at every (re)connection, not repeated per stream.
        LogEntry warning = Assert.Single(log.Entries, e => e.EventId == 2007);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("INSECURE_SKIP_VERIFY", warning.Message, StringComparison.Ordinal);
        Assert.Contains(options.ServerUrl, warning.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(log.Entries, e => e.Message.Contains(TestOptions.Token, StringComparison.Ordinal));
    }

    [Fact(Timeout = 30_000)]
    public async Task RunAsync_VerificationOn_NeverLogsTheInsecureWarning()
    {
        // The control for the test above: the warning must mean something, so it must not appear when verification is on.
        using var certificate = TestCertificates.SelfSigned("localhost");
        var server = new MuxServer();
        await using TestServer host = await TestServer.StartAsync(certificate, server.HandleAsync);
        var log = new LogRecorder();
        using ILoggerFactory loggers = log.CreateFactory();
        var options = TestOptions.Create(host.Port, caCertificates: [certificate]);
        var agent = new TunnelAgent(options, new ServerConnector(options), new ExponentialBackoffPolicy(), new FakeTimeProvider(), loggers);
        using var stop = new CancellationTokenSource();

        Task<int> run = agent.RunAsync(stop.Token);
        await server.NextSessionAsync();
        await log.WaitForAsync(e => e.EventId == 2001);
        await stop.CancelAsync();
        Assert.Equal(ExitCodes.Stopped, await run.WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.DoesNotContain(log.Entries, e => e.EventId == 2007 || e.Message.Contains("INSECURE_SKIP_VERIFY", StringComparison.Ordinal));
    }

    [Fact]
    public void AgentOptions_Defaults_DrainAndStopFitDockersTenSecondGrace()
    {
        var defaults = new AgentOptions { TunnelPort = 1, TargetHost = "target", TargetPort = 1, ServerHost = "server", Token = "t" };

        Assert.Equal(TimeSpan.FromSeconds(7), defaults.DrainTimeout);
        Assert.True(defaults.StopTimeout > defaults.DrainTimeout);
        Assert.True(defaults.StopTimeout <= TimeSpan.FromSeconds(9));
    }
}
