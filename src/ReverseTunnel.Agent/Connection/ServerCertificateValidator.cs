using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ReverseTunnel.Agent.Configuration;

namespace ReverseTunnel.Agent.Connection;

/// <summary>
/// Checks ws-server's certificate for one connection attempt and remembers why it refused it, so
/// the failure can be reported precisely (the <see cref="System.Security.Authentication.AuthenticationException"/>
/// that surfaces says only "the remote certificate is invalid").
/// </summary>
/// <remarks>
/// Order: INSECURE_SKIP_VERIFY accepts everything; a pin decides alone (a matching pin accepts a
/// self-signed certificate or one for another name, a different certificate is refused even if
/// trusted); otherwise the system store decides, and when CA_FILE is set its certificates are
/// trusted <em>in addition</em> to the system store, so public and private CAs both work.
/// Revocation is not checked, matching SocketsHttpHandler's default: agents often run where CRL
/// and OCSP endpoints are unreachable.
/// </remarks>
public sealed class ServerCertificateValidator(AgentOptions options)
{
    /// <summary>Why the last certificate was refused; null while none was.</summary>
    public TlsFailure? Failure { get; private set; }

    /// <summary>The <see cref="RemoteCertificateValidationCallback"/> for the attempt.</summary>
    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (options.InsecureSkipVerify)
        {
            return true;
        }

        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            return Refuse(TlsFailureKind.NoCertificate, "the server presented no TLS certificate. Check that SERVER_IP_DOMAIN:SERVER_PORT is ws-server.");
        }

        using X509Certificate2 leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        byte[] fingerprint = SHA256.HashData(leaf.RawData);
        string shown = CertificatePin.Format(fingerprint);
        if (options.PinnedCertSha256 is { } pin)
        {
            return CryptographicOperations.FixedTimeEquals(fingerprint, pin)
                || Refuse(TlsFailureKind.PinMismatch,
                    $"pin mismatch: the server certificate ({leaf.Subject}) has SHA-256 fingerprint {shown}, but PINNED_CERT_SHA256 is {CertificatePin.Format(pin)}. " +
                    "If the server's certificate was renewed, update PINNED_CERT_SHA256; otherwise something is intercepting the connection.");
        }

        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            string trust = errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors) && !TrustedByCaFile(leaf, chain)
                ? " It is also not trusted (add its CA to CA_FILE)."
                : string.Empty;
            return Refuse(TlsFailureKind.NameMismatch,
                $"name mismatch: the server certificate ({leaf.Subject}; names: {Names(leaf)}) is not valid for '{options.ServerHost}'.{trust} " +
                $"Set SERVER_IP_DOMAIN to a name the certificate covers, or pin this certificate with PINNED_CERT_SHA256={shown}.");
        }

        if (TrustedByCaFile(leaf, chain))
        {
            return true;
        }

        string source = options.CaCertificates.Count > 0 ? "the system store or CA_FILE" : "the system store";
        return Refuse(TlsFailureKind.UntrustedCertificate,
            $"untrusted certificate: the server certificate ({leaf.Subject}, issued by {leaf.Issuer}) does not chain to a CA in {source} ({ChainStatus(chain)}). " +
            $"Put the issuing CA in a PEM file and set CA_FILE, or pin this certificate with PINNED_CERT_SHA256={shown}; INSECURE_SKIP_VERIFY=true only for tests.");
    }

    private bool TrustedByCaFile(X509Certificate2 leaf, X509Chain? serverChain)
    {
        if (options.CaCertificates.Count == 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.CustomTrustStore.AddRange(options.CaCertificates);
        if (serverChain is not null)
        {
            // Intermediates the server sent.
            chain.ChainPolicy.ExtraStore.AddRange(serverChain.ChainPolicy.ExtraStore);
            foreach (X509ChainElement element in serverChain.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        bool built = chain.Build(leaf);
        foreach (X509ChainElement element in chain.ChainElements)
        {
            element.Certificate.Dispose();
        }

        return built;
    }

    private static string Names(X509Certificate2 certificate)
    {
        var names = new List<string>();
        foreach (X509Extension extension in certificate.Extensions)
        {
            if (extension is X509SubjectAlternativeNameExtension san)
            {
                names.AddRange(san.EnumerateDnsNames());
                names.AddRange(san.EnumerateIPAddresses().Select(a => a.ToString()));
            }
        }

        if (names.Count == 0)
        {
            names.Add(certificate.GetNameInfo(X509NameType.DnsName, forIssuer: false));
        }

        return string.Join(", ", names.Where(n => n.Length > 0).Distinct());
    }

    private static string ChainStatus(X509Chain? chain)
    {
        string[] statuses = chain?.ChainStatus.Select(s => s.Status.ToString()).Distinct().ToArray() ?? [];
        return statuses.Length == 0 ? "chain not trusted" : string.Join(", ", statuses);
    }

    private bool Refuse(TlsFailureKind kind, string message)
    {
        Failure = new TlsFailure(kind, message);
        return false;
    }
}
