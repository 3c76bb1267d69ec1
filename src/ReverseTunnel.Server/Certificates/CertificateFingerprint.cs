using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ReverseTunnel.Server.Certificates;

/// <summary>The SHA-256 fingerprint agents pin: uppercase hex octets joined by colons (AB:CD:...).</summary>
public static class CertificateFingerprint
{
    /// <summary>The colon-separated SHA-256 fingerprint of <paramref name="certificate"/>'s DER encoding.</summary>
    public static string Sha256(X509Certificate2 certificate)
    {
        byte[] hash = SHA256.HashData(certificate.RawDataMemory.Span);
        return Convert.ToHexString(hash).Chunk(2).Aggregate(
            new System.Text.StringBuilder(hash.Length * 3),
            (builder, pair) => (builder.Length > 0 ? builder.Append(':') : builder).Append(pair),
            builder => builder.ToString());
    }
}
