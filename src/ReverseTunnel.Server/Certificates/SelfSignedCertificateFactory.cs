using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ReverseTunnel.Server.Certificates;

/// <summary>Creates the self-signed server certificate used when none is configured.</summary>
public static class SelfSignedCertificateFactory
{
    /// <summary>How long a generated certificate is valid.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(730);

    /// <summary>
    /// An ECDSA P-256 certificate for localhost, 127.0.0.1, ::1 and this machine's name, valid for
    /// two years. Agents trust it by pinning its fingerprint, not through a CA.
    /// </summary>
    public static X509Certificate2 Create(DateTimeOffset now)
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=ws-server", key, HashAlgorithmName.SHA256);

        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        if (Uri.CheckHostName(Environment.MachineName) == UriHostNameType.Dns)
        {
            names.AddDnsName(Environment.MachineName);
        }

        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1", "Server Authentication")], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));

        // Back-dated a little so a client whose clock is slightly behind still accepts it.
        return request.CreateSelfSigned(now.AddMinutes(-5), now.Add(Lifetime));
    }
}
