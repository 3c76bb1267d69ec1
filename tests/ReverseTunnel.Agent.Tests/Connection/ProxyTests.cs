using System.Net;
using System.Net.Sockets;
using ReverseTunnel.Agent.Connection;
using ReverseTunnel.Agent.Tests.Infrastructure;

namespace ReverseTunnel.Agent.Tests.Connection;

/// <summary>The proxy path with a real CONNECT proxy and a real Kestrel wss endpoint.</summary>
public sealed class ProxyTests
{
    [Fact(Timeout = 30_000)]
    public async Task ConnectAsync_ProxySet_TunnelsThroughTheProxy()
    {
        using var certificate = TestCertificates.SelfSigned("localhost");
        var server = new MuxServer();
        await using TestServer host = await TestServer.StartAsync(certificate, server.HandleAsync);
        await using var proxy = new ConnectProxy();
        var connector = new ServerConnector(TestOptions.Create(host.Port, caCertificates: [certificate], proxy: proxy.Url));

        ConnectResult result = await connector.ConnectAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        await using ServerConnection connection = Assert.IsType<ServerConnection>(result.Connection);
        await server.NextSessionAsync();

        Assert.Equal($"127.0.0.1:{host.Port}", Assert.Single(proxy.Targets));
        Assert.Equal(proxy.Url.Authority, connector.EffectiveProxy?.Authority);
    }

    [Fact(Timeout = 30_000)]
    public async Task ConnectAsync_ServerInNoProxy_ConnectsDirectly()
    {
        using var certificate = TestCertificates.SelfSigned("localhost");
        var server = new MuxServer();
        await using TestServer host = await TestServer.StartAsync(certificate, server.HandleAsync);
        await using var proxy = new ConnectProxy();
        var connector = new ServerConnector(TestOptions.Create(host.Port, caCertificates: [certificate], proxy: proxy.Url, noProxy: "example.com,127.0.0.1"));

        ConnectResult result = await connector.ConnectAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        await using ServerConnection connection = Assert.IsType<ServerConnection>(result.Connection);
        await server.NextSessionAsync();

        Assert.Empty(proxy.Targets);
        Assert.Null(connector.EffectiveProxy);
    }

    [Fact(Timeout = 30_000)]
    public async Task ConnectAsync_ProxyRefusesConnect_IsProxyFailure()
    {
        await using var proxy = new ConnectProxy(refuseWith: 403);

        ConnectFailure failure = await ConnectFailureClassificationTests.FailAsync(TestOptions.Create(443, proxy: proxy.Url));

        Assert.Equal(ConnectFailureKind.Proxy, failure.Kind);
        Assert.Contains("127.0.0.1:443", Assert.Single(proxy.Targets), StringComparison.Ordinal);
        Assert.Contains(proxy.Url.Authority, failure.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task ConnectAsync_ProxyNotListening_IsProxyFailure()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        ConnectFailure failure = await ConnectFailureClassificationTests.FailAsync(TestOptions.Create(443, proxy: new Uri($"http://127.0.0.1:{port}")));

        Assert.Equal(ConnectFailureKind.Proxy, failure.Kind);
        Assert.Contains("HTTPS_PROXY", failure.Message, StringComparison.Ordinal);
    }
}
