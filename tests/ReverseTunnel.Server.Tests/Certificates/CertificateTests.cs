using ReverseTunnel.Server.Certificates;
using ReverseTunnel.Server.Tests.Infrastructure;

namespace ReverseTunnel.Server.Tests.Certificates;

public sealed class CertificateTests
{
    [Fact]
    public async Task Start_NoCertificateConfigured_GeneratesOnceAndReusesAcrossRestarts()
    {
        string directory = Directory.CreateTempSubdirectory("ws-server-cert-").FullName;
        try
        {
            string first;
            await using (TestServer server = await TestServer.StartAsync(dataDirectory: directory))
            {
                first = server.Fingerprint;
                Assert.Contains(server.Logs.Entries, e => e.EventId == 1002);
                Assert.Contains(server.Logs.Entries, e => e.Message == $"Certificate SHA-256 fingerprint: {first}");
            }

            await using (TestServer server = await TestServer.StartAsync(dataDirectory: directory))
            {
                Assert.Equal(first, server.Fingerprint);
                Assert.DoesNotContain(server.Logs.Entries, e => e.EventId == 1002);
            }

            Assert.Matches("^([0-9A-F]{2}:){31}[0-9A-F]{2}$", first);
            if (!OperatingSystem.IsWindows())
            {
                UnixFileMode mode = File.GetUnixFileMode(Path.Combine(directory, ServerCertificateProvider.GeneratedKeyFile));
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Create_SelfSigned_HasExpectedNamesAndLifetime()
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using System.Security.Cryptography.X509Certificates.X509Certificate2 certificate = SelfSignedCertificateFactory.Create(now);

        Assert.True(certificate.HasPrivateKey);
        Assert.True(certificate.MatchesHostname("localhost"));
        Assert.True(certificate.MatchesHostname("127.0.0.1"));
        Assert.True(certificate.MatchesHostname("::1"));
        Assert.InRange(certificate.NotAfter.ToUniversalTime(), now.AddDays(729).UtcDateTime, now.AddDays(731).UtcDateTime);
    }

    [Fact]
    public async Task Start_ConfiguredPemCertificate_IsServed()
    {
        string directory = Directory.CreateTempSubdirectory("ws-server-pem-").FullName;
        try
        {
            using var certificate = SelfSignedCertificateFactory.Create(DateTimeOffset.UtcNow);
            string certificatePath = Path.Combine(directory, "custom.pem");
            string keyPath = Path.Combine(directory, "custom.key");
            PemFiles.Save(certificate, certificatePath, keyPath);

            await using TestServer server = await TestServer.StartAsync(null, directory,
                $"--Tunnel:CertificatePath={certificatePath}", $"--Tunnel:CertificateKeyPath={keyPath}");

            Assert.Equal(CertificateFingerprint.Sha256(certificate), server.Fingerprint);
            Assert.False(File.Exists(Path.Combine(directory, ServerCertificateProvider.GeneratedCertificateFile)));
            using var handler = new SocketsHttpHandler();
            handler.SslOptions.RemoteCertificateValidationCallback = server.PinnedCertificate;
            using var client = new HttpClient(handler) { Timeout = TestTimeouts.Default };
            Assert.Equal("ws-server 0.1.0 OK\n", await client.GetStringAsync(new Uri(server.BaseUri, "healthz")));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
