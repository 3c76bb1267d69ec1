using System.Security.Cryptography.X509Certificates;

namespace ReverseTunnel.Server.Certificates;

/// <summary>Reads and writes certificate and key PEM files.</summary>
internal static class PemFiles
{
    /// <summary>
    /// Loads a certificate and its private key. On Windows, SChannel cannot use the ephemeral key that
    /// PEM import gives, so the pair goes through PKCS#12 there; OpenSSL (Linux) uses it as it is.
    /// </summary>
    public static X509Certificate2 Load(string certificatePath, string? keyPath)
    {
        X509Certificate2 certificate = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
        if (!OperatingSystem.IsWindows())
        {
            return certificate;
        }

        using (certificate)
        {
            return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
        }
    }

    /// <summary>Writes the key (owner read/write only) and then the certificate, each atomically.</summary>
    public static void Save(X509Certificate2 certificate, string certificatePath, string keyPath)
    {
        string keyPem = certificate.GetECDsaPrivateKey() is { } ecdsa
            ? ecdsa.ExportPkcs8PrivateKeyPem()
            : certificate.GetRSAPrivateKey()?.ExportPkcs8PrivateKeyPem()
              ?? throw new InvalidOperationException("The certificate has no exportable private key.");
        WriteAtomically(keyPath, keyPem, secret: true);
        WriteAtomically(certificatePath, certificate.ExportCertificatePem() + "\n", secret: false);
    }

    private static void WriteAtomically(string path, string text, bool secret)
    {
        string temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (secret && !OperatingSystem.IsWindows())
        {
            // Created 0600 from the start: the key is never readable by others, not even briefly.
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            using (var writer = new StreamWriter(temporary, System.Text.Encoding.ASCII, options))
            {
                writer.Write(text);
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }
}
