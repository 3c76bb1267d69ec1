using System.Security.Cryptography;
using ReverseTunnel.Agent.Configuration;
using ReverseTunnel.Agent.Connection;
using ReverseTunnel.Agent.Tests.Infrastructure;

namespace ReverseTunnel.Agent.Tests.Connection;

public sealed class CertificateValidationTests
{
    [Fact(Timeout = 30_000)]
    public async Task ConnectAsync_PinMatchesSelfSignedCertificate_Connects()
    {
        using var certificate = TestCertificates.SelfSigned("tunnel.test", includeLoopbackIp: false);
        var server = new MuxServer();
        await using TestServer host = await TestServer.StartAsync(certificate, server.HandleAsync);

        // Untrusted chain and another name: the pin alone decides.
        await ConnectAsync(TestOptions.Create(host.Port, pin: SHA256.HashData(certificate.RawData)));
    }

    [Fact(Timeout = 30_000)]
    public async Task ConnectAsync_PinDiffers_IsPinMismatchEvenIfTrusted()
    {
        using var certificate = TestCertificates.SelfSigned("localhost");
        var server = new MuxServer();
        await using TestServer host = await TestServer.StartAsync(certificate, server.HandleAsync);
        byte[] wrongPin = new byte[CertificatePin.Length];

        ConnectFailure failure = await ConnectFailureClassificationTests.FailAsync(
            TestOptions.Create(host.Port, pin: wrongPin, caCertificates: [certificate]));

        Assert.Equal(TlsFailureKind.PinMismatch, failure.TlsReason);
        Assert.Contains(CertificatePin.Format(SHA256.HashData(certificate.RawData)), failure.Message, StringComparison.Ordinal);
        Assert.Contains("PINNED_CERT_SHA256", failure.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task ConnectAsync_IssuerInCaFile_Connects()
    {
        using var ca = TestCertificates.CertificateAuthority();
        using var certificate = TestCertificates.IssuedBy(ca, "localhost");
        var server = new MuxServer();
        await using TestServer host = await TestServer.StartAsync(certificate, server.HandleAsync);
        string path = TestCertificates.WritePem(ca);
        try
        {
            Assert.True(CaBundle.TryLoad(path, out var bundle, out _));

            await ConnectAsync(TestOptions.Create(host.Port, caCertificates: bundle));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task ConnectAsync_IssuerNotInCaFile_IsUntrusted()
    {
        using var ca = TestCertificates.CertificateAuthority();
        using var otherCa = TestCertificates.CertificateAuthority("Some Other CA");
        using var certificate = TestCertificates.IssuedBy(ca, "localhost");
        var server = new MuxServer();
        await using TestServer host = await TestServer.StartAsync(certificate, server.HandleAsync);

        ConnectFailure failure = await ConnectFailureClassificationTests.FailAsync(TestOptions.Create(host.Port, caCertificates: [otherCa]));

        Assert.Equal(TlsFailureKind.UntrustedCertificate, failure.TlsReason);
    }

    [Fact(Timeout = 30_000)]
    public async Task ConnectAsync_InsecureSkipVerify_AcceptsAnyCertificate()
    {
        using var certificate = TestCertificates.SelfSigned("wrong.example", includeLoopbackIp: false);
        var server = new MuxServer();
        await using TestServer host = await TestServer.StartAsync(certificate, server.HandleAsync);

        await ConnectAsync(TestOptions.Create(host.Port, insecure: true));
    }

    [Fact(Timeout = 30_000)]
    public async Task ConnectAsync_Accepted_SendsContractHeadersAndSubprotocol()
    {
        using var certificate = TestCertificates.SelfSigned("localhost");
        var server = new MuxServer();
        await using TestServer host = await TestServer.StartAsync(certificate, server.HandleAsync);

        ConnectResult result = await new ServerConnector(TestOptions.Create(host.Port, targetPort: 8080, caCertificates: [certificate]))
            .ConnectAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        await using ServerConnection connection = Assert.IsType<ServerConnection>(result.Connection);
        AcceptedSession session = await server.NextSessionAsync();

        Assert.Equal("reverse-tunnel.v1", connection.WebSocket.SubProtocol);
        Assert.Equal("Bearer " + TestOptions.Token, session.Headers["Authorization"]);
        Assert.Equal("5000", session.Headers["X-Tunnel-Port"]);
        Assert.Equal("127.0.0.1:8080", session.Headers["X-Tunnel-Target"]);
        Assert.StartsWith("ws-agent/", session.Headers["User-Agent"], StringComparison.Ordinal);
        Assert.Equal("reverse-tunnel.v1", session.Headers["Sec-WebSocket-Protocol"]);
    }

    private static async Task ConnectAsync(AgentOptions options)
    {
        ConnectResult result = await new ServerConnector(options).ConnectAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Null(result.Failure);
        await using ServerConnection connection = Assert.IsType<ServerConnection>(result.Connection);
        Assert.Equal(System.Net.WebSockets.WebSocketState.Open, connection.WebSocket.State);
    }
}
