using System.Net;
using ReverseTunnel.Server.Tests.Infrastructure;

namespace ReverseTunnel.Server.Tests.Endpoints;

public sealed class HealthEndpointTests
{
    [Theory]
    [InlineData("/")]
    [InlineData("/healthz")]
    public async Task Get_HealthPath_Returns200WithVersionText(string path)
    {
        await using TestServer server = await TestServer.StartAsync();
        using var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = server.PinnedCertificate;
        using var client = new HttpClient(handler) { Timeout = TestTimeouts.Default };

        using HttpResponseMessage response = await client.GetAsync(new Uri(server.BaseUri, path));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("ws-server 0.1.0 OK\n", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Start_PortZero_LogsListeningLineWithBoundPort()
    {
        await using TestServer server = await TestServer.StartAsync();

        CapturedLog line = Assert.Single(server.Logs.Entries, e => e.EventId == 1000);
        Assert.Equal($"Listening on https://127.0.0.1:{server.Port}", line.Message);
        Assert.NotEqual(0, server.Port);
    }
}
