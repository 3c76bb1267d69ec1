using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ReverseTunnel.Agent.Configuration;

/// <summary>Loads the PEM bundle named by <c>CA_FILE</c>.</summary>
public static class CaBundle
{
    /// <summary>Loads every CERTIFICATE block of <paramref name="path"/>; on failure says why, fit for a validation message.</summary>
    public static bool TryLoad(string path, out X509Certificate2Collection certificates, out string? error)
    {
        certificates = [];
        error = null;
        if (!File.Exists(path))
        {
            error = $"the file '{path}' does not exist (mount the CA bundle into the container and point CA_FILE at it)";
            return false;
        }

        try
        {
            certificates.ImportFromPemFile(path);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
        {
            error = $"the file '{path}' could not be read as PEM certificates: {ex.Message}";
            return false;
        }

        if (certificates.Count == 0)
        {
            error = $"the file '{path}' contains no -----BEGIN CERTIFICATE----- block";
            return false;
        }

        return true;
    }
}
