using System.Globalization;

namespace ReverseTunnel.Agent.Configuration;

/// <summary>Parses and formats SHA-256 certificate fingerprints.</summary>
public static class CertificatePin
{
    /// <summary>Octets in a SHA-256 digest.</summary>
    public const int Length = 32;

    /// <summary>
    /// Parses 64 hex digits, case-insensitive, with optional colons or spaces between them, as
    /// printed by <c>openssl x509 -noout -fingerprint -sha256</c> (a leading <c>...Fingerprint=</c> is ignored).
    /// </summary>
    public static bool TryParse(string value, out byte[] pin, out int hexDigits)
    {
        pin = [];
        string text = value.Trim();
        int equals = text.IndexOf('=', StringComparison.Ordinal);
        if (equals >= 0)
        {
            text = text[(equals + 1)..];
        }

        string hex = string.Concat(text.Where(c => c is not (':' or ' ')));
        hexDigits = hex.Length;
        if (hex.Length != Length * 2 || !hex.All(char.IsAsciiHexDigit))
        {
            return false;
        }

        pin = Convert.FromHexString(hex);
        return true;
    }

    /// <summary>Formats a fingerprint as colon-separated upper-case hex, the way openssl prints it.</summary>
    public static string Format(ReadOnlySpan<byte> fingerprint)
    {
        var parts = new string[fingerprint.Length];
        for (int i = 0; i < fingerprint.Length; i++)
        {
            parts[i] = fingerprint[i].ToString("X2", CultureInfo.InvariantCulture);
        }

        return string.Join(':', parts);
    }
}
