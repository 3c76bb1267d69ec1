using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ReverseTunnel.Server.Configuration;
using ReverseTunnel.Server.Diagnostics;

namespace ReverseTunnel.Server.Certificates;

/// <summary>
/// The TLS certificate of the endpoint: the configured PEM pair, or a self-signed one generated at
/// first start and kept in the data directory so its fingerprint (which agents pin) stays the same.
/// </summary>
public sealed class ServerCertificateProvider : IDisposable
{
    /// <summary>File name of the generated certificate in the data directory.</summary>
    public const string GeneratedCertificateFile = "server-cert.pem";

    /// <summary>File name of the generated key in the data directory.</summary>
    public const string GeneratedKeyFile = "server-key.pem";

    // A generated certificate this close to expiry is replaced at start, and a configured one warned about.
    private static readonly TimeSpan RenewalWindow = TimeSpan.FromDays(30);

    private readonly TunnelOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private X509Certificate2? _certificate;

    /// <summary>Creates the provider; <see cref="Load"/> reads or generates the certificate.</summary>
    public ServerCertificateProvider(IOptions<TunnelOptions> options, ILogger<ServerCertificateProvider> logger, TimeProvider time)
    {
        _options = options.Value;
        _logger = logger;
        _time = time;
    }

    /// <summary>The certificate, once loaded.</summary>
    public X509Certificate2 Certificate => _certificate ?? throw new InvalidOperationException("The certificate is not loaded yet.");

    /// <summary>SHA-256 fingerprint, colon-separated uppercase hex.</summary>
    public string Fingerprint => CertificateFingerprint.Sha256(Certificate);

    /// <summary>Loads or generates the certificate and logs its fingerprint. Idempotent.</summary>
    /// <exception cref="TunnelConfigurationException">A configured certificate cannot be used.</exception>
    public X509Certificate2 Load()
    {
        if (_certificate is not null)
        {
            return _certificate;
        }

        _certificate = string.IsNullOrWhiteSpace(_options.CertificatePath) ? LoadOrGenerate() : LoadConfigured();
        ServerLog.CertificateFingerprint(_logger, Fingerprint);
        return _certificate;
    }

    /// <inheritdoc />
    public void Dispose() => _certificate?.Dispose();

    private X509Certificate2 LoadConfigured()
    {
        string path = Path.GetFullPath(_options.CertificatePath!);
        string? keyPath = string.IsNullOrWhiteSpace(_options.CertificateKeyPath) ? null : Path.GetFullPath(_options.CertificateKeyPath);
        X509Certificate2 certificate;
        try
        {
            certificate = PemFiles.Load(path, keyPath);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new TunnelConfigurationException([
                $"{TunnelOptions.SectionName}:{nameof(TunnelOptions.CertificatePath)} '{path}'"
                + (keyPath is null ? string.Empty : $" with key '{keyPath}'")
                + $" cannot be used: {ex.Message} Both must be PEM; the key unencrypted PKCS#8, RSA or EC, matching the certificate."]);
        }

        if (!certificate.HasPrivateKey)
        {
            certificate.Dispose();
            throw new TunnelConfigurationException([
                $"{TunnelOptions.SectionName}:{nameof(TunnelOptions.CertificatePath)} '{path}' has no private key; set {TunnelOptions.SectionName}:{nameof(TunnelOptions.CertificateKeyPath)} to the key's PEM file."]);
        }

        ServerLog.CertificateLoaded(_logger, certificate.Subject, path, certificate.NotAfter.ToUniversalTime());
        if (certificate.NotAfter.ToUniversalTime() - _time.GetUtcNow().UtcDateTime < RenewalWindow)
        {
            ServerLog.CertificateExpiresSoon(_logger, certificate.Subject, path, certificate.NotAfter.ToUniversalTime());
        }

        return certificate;
    }

    private X509Certificate2 LoadOrGenerate()
    {
        string directory = _options.ResolvedDataDirectory;
        string certificatePath = Path.Combine(directory, GeneratedCertificateFile);
        string keyPath = Path.Combine(directory, GeneratedKeyFile);
        if (File.Exists(certificatePath) && File.Exists(keyPath))
        {
            string? problem = null;
            try
            {
                X509Certificate2 existing = PemFiles.Load(certificatePath, keyPath);
                if (existing.NotAfter.ToUniversalTime() - _time.GetUtcNow().UtcDateTime >= RenewalWindow)
                {
                    ServerLog.CertificateLoaded(_logger, existing.Subject, certificatePath, existing.NotAfter.ToUniversalTime());
                    return existing;
                }

                problem = $"expires on {existing.NotAfter.ToUniversalTime():yyyy-MM-dd}";
                existing.Dispose();
            }
            catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
            {
                problem = $"cannot be read ({ex.Message})";
            }

            ServerLog.CertificateReplaced(_logger, certificatePath, problem);
        }

        Directory.CreateDirectory(directory);
        using X509Certificate2 generated = SelfSignedCertificateFactory.Create(_time.GetUtcNow());
        PemFiles.Save(generated, certificatePath, keyPath);
        ServerLog.CertificateGenerated(_logger, generated.Subject, generated.NotAfter.ToUniversalTime(), certificatePath);

        // Read back what was written, so this start and the next use the very same bytes.
        return PemFiles.Load(certificatePath, keyPath);
    }
}
