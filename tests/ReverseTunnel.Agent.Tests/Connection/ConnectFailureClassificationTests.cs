using System.Net;
using System.Net.Sockets;
using ReverseTunnel.Agent.Connection;
using ReverseTunnel.Agent.Tests.Infrastructure;

namespace ReverseTunnel.Agent.Tests.Connection;

/// <summary>Each failure kind produced by real sockets, through the real connector.</summary>
public sealed class ConnectFailureClassificationTests
{
    [Fact(Timeout = 30_000)]
    public async Task ConnectAsync_PortClosed_IsConnectionRefused()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        ConnectFailure failure = await FailAsync(TestOptions.Create(port));

        Assert.Equal(ConnectFailureKind.ConnectionRefused, failure.Kind);
        Assert.Contains("connection refused", failure.Message, StringComparison.Ordinal);
        Assert.False(failure.IsTerminal);
    }

    [Fact(Timeout = 30_000)]
    public async Task ConnectAsync_ListenerNeverAnswers_IsTimeout()
    {
        // The kernel completes the TCP handshake from the backlog; nobody ever speaks TLS.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;

            ConnectFailure failure = await FailAsync(TestOptions.Create(port, connectTimeout: TimeSpan.FromMilliseconds(500)));

            Assert.Equal(ConnectFailureKind.Timeout, failure.Kind);
            Assert.Contains("timeout", failure.Message, StringComparison.Ordinal);
        }
        finally
        {
            listener.Stop();
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task ConnectAsync_NameUnderInvalid_IsNameResolution()
    {
        ConnectFailure failure = await FailAsync(TestOptions.Create(443, serverHost: "ws-agent-tests.invalid"));

        Assert.Equal(ConnectFailureKind.NameResolution, failure.Kind);
        Assert.Contains("ws-agent-tests.invalid", failure.Message, StringComparison.Ordinal);
        Assert.Contains("SERVER_IP_DOMAIN", failure.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task ConnectAsync_CertificateForAnotherName_IsNameMismatch()
    {
        using var certificate = TestCertificates.SelfSigned("wrong.example", includeLoopbackIp: false);
        var server = new MuxServer();
        await using TestServer host = await TestServer.StartAsync(certificate, server.HandleAsync);

        // Trusted through CA_FILE, so the name is the only problem.
        ConnectFailure failure = await FailAsync(TestOptions.Create(host.Port, caCertificates: [certificate]));

        Assert.Equal(ConnectFailureKind.Tls, failure.Kind);
        Assert.Equal(TlsFailureKind.NameMismatch, failure.TlsReason);
        Assert.Contains("wrong.example", failure.Message, StringComparison.Ordinal);
        Assert.Contains("SERVER_IP_DOMAIN", failure.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task ConnectAsync_SelfSignedWithoutTrust_IsUntrustedCertificate()
    {
        using var certificate = TestCertificates.SelfSigned("localhost");
        var server = new MuxServer();
        await using TestServer host = await TestServer.StartAsync(certificate, server.HandleAsync);

        ConnectFailure failure = await FailAsync(TestOptions.Create(host.Port));

        Assert.Equal(ConnectFailureKind.Tls, failure.Kind);
        Assert.Equal(TlsFailureKind.UntrustedCertificate, failure.TlsReason);
        Assert.Contains("CA_FILE", failure.Message, StringComparison.Ordinal);
        Assert.Contains("PINNED_CERT_SHA256", failure.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task ConnectAsync_PlainTcpServerSpeaksNoTls_IsTlsHandshakeFailure()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            Task answer = AnswerWithGarbageAsync(listener);
            ConnectFailure failure = await FailAsync(TestOptions.Create(((IPEndPoint)listener.LocalEndpoint).Port));
            await answer.WaitAsync(TimeSpan.FromSeconds(30));

            Assert.Equal(ConnectFailureKind.Tls, failure.Kind);
            Assert.Equal(TlsFailureKind.HandshakeFailed, failure.TlsReason);
        }
        finally
        {
            listener.Stop();
        }
    }

    private static async Task AnswerWithGarbageAsync(TcpListener listener)
    {
        using TcpClient client = await listener.AcceptTcpClientAsync();
        await client.GetStream().WriteAsync("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"u8.ToArray());
        client.Client.Shutdown(SocketShutdown.Send);
    }

    internal static async Task<ConnectFailure> FailAsync(ReverseTunnel.Agent.Configuration.AgentOptions options)
    {
        ConnectResult result = await new ServerConnector(options).ConnectAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        if (result.Connection is { } connection)
        {
            await connection.DisposeAsync();
        }

        Assert.Null(result.Connection);
        return Assert.IsType<ConnectFailure>(result.Failure);
    }
}
