using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using ReverseTunnel.Protocol;
using ReverseTunnel.Server.Tests.Infrastructure;

namespace ReverseTunnel.Server.Tests.Endpoints;

/// <summary>
/// Hostile clients before authentication: each fails fast, and none reaches the tunnel code (no
/// port is claimed, no session runs).
/// </summary>
public sealed class PreAuthHardeningTests
{
    private static readonly IPAddress OtherAddress = IPAddress.Parse("127.0.0.2");

    [Fact]
    public async Task Handshake_HeadersTrickled_ConnectionCutWithinHandshakeTimeout()
    {
        await using TestServer server = await TestServer.StartAsync(null, null, "--Tunnel:HandshakeTimeout=00:00:01");
        await using RawTlsClient client = await RawTlsClient.ConnectAsync(server);
        var clock = Stopwatch.StartNew();
        await client.WriteAsync("GET /tunnel HTTP/1.1\r\nHost: localhost\r\n");

        // One header byte every 100 ms, for up to 30 s: never a complete request.
        Task<int> closed = client.Stream.ReadAsync(new byte[1024]).AsTask()
            .ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : -1, TaskScheduler.Default);
        while (!closed.IsCompleted && clock.Elapsed < TestTimeouts.Default)
        {
            try
            {
                await client.WriteAsync("X");
            }
            catch (IOException)
            {
                break;
            }

            await Task.WhenAny(closed, Task.Delay(100)); // the trickle's pace, not a synchronisation
        }

        await closed.WaitAsync(TestTimeouts.Default);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"the trickling client was cut after {clock.Elapsed}, configured 1 s");
        Assert.DoesNotContain(server.Logs.Entries, e => e.EventId is 1020 or 1022);
    }

    [Fact]
    public async Task Handshake_OversizedHeaders_Returns431BeforeTunnelCode()
    {
        await using TestServer server = await TestServer.StartAsync();
        using var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = server.PinnedCertificate;
        using var http = new HttpClient(handler) { Timeout = TestTimeouts.Default };
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(server.BaseUri, "tunnel"));
        request.Headers.TryAddWithoutValidation("X-Padding", new string('a', 40 * 1024));
        request.Headers.TryAddWithoutValidation("Authorization", $"Bearer {TestClients.AlphaToken}");

        using HttpResponseMessage response = await http.SendAsync(request).WaitAsync(TestTimeouts.Default);

        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.StatusCode);
        Assert.DoesNotContain(server.Logs.Entries, e => e.EventId is 1020 or 1022);
    }

    [Fact]
    public async Task Handshake_WrongPortForValidToken_Returns403AndDoesNotCountAsAuthFailure()
    {
        await using TestServer server = await TestServer.StartAsync(null, null, "--Tunnel:AuthFailureBurst=1");

        for (int i = 0; i < 3; i++)
        {
            HandshakeResponse response = await HandshakeClient.SendAsync(server, TestClients.LimitedToken, FreePort.Next());
            Assert.Equal(HttpStatusCode.Forbidden, response.Status);
            Assert.Equal("port_not_allowed", response.Code);
        }
    }

    [Fact]
    public async Task Handshake_WrongTokensBeyondBurst_Returns429WithRetryAfterAndOthersStillConnect()
    {
        await using TestServer server = await TestServer.StartAsync(null, null, "--Tunnel:AuthFailureBurst=5", "--Tunnel:AuthFailuresPerMinute=6");
        using var failures = new MetricCapture(server, "tunnel.auth.failures", "reason");
        using HttpClient http = CreateClient(server, localAddress: null);

        for (int i = 0; i < 4; i++)
        {
            Assert.Equal((HttpStatusCode.Unauthorized, "unknown_token"), (await SendAsync(http, server, "wrong-token-" + i)).Status);
        }

        // Still within its allowance: a valid token from the same address connects at once.
        await using (FakeAgent early = await FakeAgent.ConnectAsync(server, TestClients.AlphaToken, FreePort.Next()))
        {
            Assert.Equal(System.Net.WebSockets.WebSocketState.Open, early.WebSocket.State);
        }

        Assert.Equal((HttpStatusCode.BadRequest, "bad_request"), (await SendAsync(http, server, token: null)).Status);
        (var status, TimeSpan? retryAfter, string detail) = await SendAsync(http, server, "wrong-token-5");
        Assert.Equal((HttpStatusCode.TooManyRequests, "too_many_failures"), status);
        Assert.Equal(TimeSpan.FromSeconds(10), retryAfter);
        Assert.Contains("retry in 10 s", detail, StringComparison.Ordinal);

        // Out of allowance, even a valid token from this address waits; from another address it connects at once.
        Assert.Equal((HttpStatusCode.TooManyRequests, "too_many_failures"), (await SendAsync(http, server, TestClients.AlphaToken)).Status);
        await using FakeAgent other = await FakeAgent.ConnectAsync(server, TestClients.BetaToken, FreePort.Next(), localAddress: OtherAddress);
        Assert.Equal(System.Net.WebSockets.WebSocketState.Open, other.WebSocket.State);
        Assert.Equal(4, failures["unknown_token"]);
        Assert.Equal(1, failures["bad_request"]);
        Assert.Equal(2, failures["too_many_failures"]);
    }

    [Fact]
    public async Task Handshake_ThousandWrongTokens_RefusedFastWithFewLogLinesAndAllCounted()
    {
        const int Attempts = 1_000;
        await using TestServer server = await TestServer.StartAsync(null, null, "--Tunnel:AuthFailureBurst=10");
        using var failures = new MetricCapture(server, "tunnel.auth.failures", "reason");
        using HttpClient http = CreateClient(server, localAddress: null);
        var clock = Stopwatch.StartNew();

        await Parallel.ForAsync(0, Attempts, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
        {
            (HttpStatusCode status, string _) = (await SendAsync(http, server, $"guess-{i}")).Status;
            Assert.True(status is HttpStatusCode.Unauthorized or HttpStatusCode.TooManyRequests, status.ToString());
        });

        TimeSpan elapsed = clock.Elapsed;
        Assert.Equal(Attempts, failures.Total);
        // The burst, plus one per second of refill while the test ran.
        long unknown = failures["unknown_token"];
        Assert.InRange(unknown, 10, 11 + (long)elapsed.TotalSeconds);
        int lines = server.Logs.Entries.Count(e => e.EventId is 1022 or 1025 or 1026 && e.Level >= LogLevel.Warning);
        Assert.True(lines <= unknown + 1 + 1 + (int)(elapsed.TotalSeconds / 10), $"{lines} log lines for {Attempts} failed handshakes");
        Assert.Single(server.Logs.Entries, e => e.EventId == 1025);
        Assert.True(elapsed < TimeSpan.FromSeconds(20), $"{Attempts} refusals took {elapsed}");

        // A legitimate agent elsewhere is not slowed down.
        await using FakeAgent agent = await FakeAgent.ConnectAsync(server, TestClients.AlphaToken, FreePort.Next(), localAddress: OtherAddress);
        Assert.Equal(System.Net.WebSockets.WebSocketState.Open, agent.WebSocket.State);
    }

    private static HttpClient CreateClient(TestServer server, IPAddress? localAddress)
    {
        var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 8 };
        handler.SslOptions.RemoteCertificateValidationCallback = server.PinnedCertificate;
        if (localAddress is not null)
        {
            handler.ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                socket.Bind(new IPEndPoint(localAddress, 0));
                await socket.ConnectAsync(context.DnsEndPoint, ct);
                return new NetworkStream(socket, ownsSocket: true);
            };
        }

        return new HttpClient(handler, disposeHandler: true) { Timeout = TestTimeouts.Default };
    }

    private static async Task<((HttpStatusCode Status, string Code) Status, TimeSpan? RetryAfter, string Detail)> SendAsync(HttpClient http, TestServer server, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(server.BaseUri, "tunnel"));
        request.Headers.Connection.Add("Upgrade");
        request.Headers.Upgrade.Add(new ProductHeaderValue("websocket"));
        request.Headers.Add("Sec-WebSocket-Version", "13");
        request.Headers.Add("Sec-WebSocket-Key", Convert.ToBase64String(Guid.NewGuid().ToByteArray()));
        request.Headers.Add("Sec-WebSocket-Protocol", ProtocolVersion.SubProtocol);
        if (token is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", $"Bearer {token}");
        }

        request.Headers.Add("X-Tunnel-Port", FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture));
        using HttpResponseMessage response = await http.SendAsync(request).WaitAsync(TestTimeouts.Default);
        using JsonDocument problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return ((response.StatusCode, problem.RootElement.GetProperty("code").GetString()!), response.Headers.RetryAfter?.Delta,
            problem.RootElement.GetProperty("detail").GetString()!);
    }
}
