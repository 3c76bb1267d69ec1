using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using ReverseTunnel.Agent.Connection;
using ReverseTunnel.Agent.Tests.Infrastructure;

namespace ReverseTunnel.Agent.Tests.Connection;

/// <summary>The agent speaks TLS 1.2 or 1.3 only, whatever the OS's default allows (security review: it relied on the OS default).</summary>
public sealed class TlsProtocolTests
{
    [Fact]
    public void CreateHandler_Always_EnablesTls12And13Only()
    {
        using SocketsHttpHandler handler = ServerConnector.CreateHandler(TestOptions.Create(443), proxy: null, (_, _, _, _) => false);

        Assert.Equal(SslProtocols.Tls12 | SslProtocols.Tls13, handler.SslOptions.EnabledSslProtocols);
    }

    [Fact(Timeout = 30_000)]
    public async Task ConnectAsync_ServerNegotiates_Tls12OrNewer()
    {
        using var certificate = TestCertificates.SelfSigned("localhost");
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var options = TestOptions.Create(((IPEndPoint)listener.LocalEndpoint).Port, caCertificates: [certificate]);
        Task<ConnectResult> connect = new ServerConnector(options).ConnectAsync(CancellationToken.None);

        using TcpClient accepted = await listener.AcceptTcpClientAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await using var tls = new SslStream(accepted.GetStream());
        await tls.AuthenticateAsServerAsync(certificate).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(tls.SslProtocol is SslProtocols.Tls12 or SslProtocols.Tls13, tls.SslProtocol.ToString());
        accepted.Close();
        ConnectResult result = await connect.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.NotNull(result.Failure);
    }
}
