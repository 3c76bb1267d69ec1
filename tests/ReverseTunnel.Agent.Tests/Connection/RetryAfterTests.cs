using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using ReverseTunnel.Agent.Configuration;
using ReverseTunnel.Agent.Connection;
using ReverseTunnel.Agent.Reconnect;
using ReverseTunnel.Agent.Runtime;
using ReverseTunnel.Agent.Tests.Infrastructure;

namespace ReverseTunnel.Agent.Tests.Connection;

/// <summary>A 429 (the server's rate limit of failed handshakes, or a client's session limit) is retried, not earlier than Retry-After.</summary>
public sealed class RetryAfterTests
{
    [Theory(Timeout = 30_000)]
    [InlineData("too_many_failures", "20", 20)]
    [InlineData("too_many_client_sessions", "3600", 300)]
    public async Task RunAsync_Refused429WithRetryAfter_RetriesNoEarlierThanRetryAfterCapped(string code, string retryAfter, int expectedSeconds)
    {
        using var certificate = TestCertificates.SelfSigned("localhost");
        int calls = 0;
        await using TestServer host = await TestServer.StartAsync(certificate, async context =>
        {
            Interlocked.Increment(ref calls);
            context.Response.StatusCode = 429;
            context.Response.Headers.RetryAfter = retryAfter;
            context.Response.ContentType = "application/problem+json";
            await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes($$"""{"status":429,"title":"t","detail":"slow down","code":"{{code}}"}"""));
        });
        var time = new FakeTimeProvider();
        var log = new LogRecorder();
        using ILoggerFactory loggers = log.CreateFactory();
        AgentOptions options = TestOptions.Create(host.Port, caCertificates: [certificate]);
        var agent = new TunnelAgent(options, new ServerConnector(options), new ExponentialBackoffPolicy(random: new FixedRandom(1.0)), time, loggers);
        using var stop = new CancellationTokenSource();

        Task<int> run = agent.RunAsync(stop.Token);
        LogEntry retrying = await log.WaitForAsync(e => e.EventId == 2003);
        LogEntry failed = Assert.Single(log.Entries, e => e.EventId == 2004);

        Assert.Equal($"Retrying in {expectedSeconds} s (attempt 2)", retrying.Message);
        Assert.Contains($"HTTP 429 {code}", failed.Message, StringComparison.Ordinal);
        time.Advance(TimeSpan.FromSeconds(expectedSeconds) - TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, Volatile.Read(ref calls));
        Assert.False(run.IsCompleted);
        await stop.CancelAsync();
        Assert.Equal(ExitCodes.Stopped, await run.WaitAsync(TimeSpan.FromSeconds(30)));
    }
}
