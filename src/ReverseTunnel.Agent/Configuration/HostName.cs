using System.Net;

namespace ReverseTunnel.Agent.Configuration;

/// <summary>Checks host names and IP literals given in the configuration.</summary>
public static class HostName
{
    private const int MaxLength = 253;
    private const int MaxLabelLength = 63;

    /// <summary>
    /// Accepts an IPv4/IPv6 literal (IPv6 with or without brackets) or a DNS name. Underscores are
    /// allowed in labels because container and compose service names use them.
    /// </summary>
    /// <param name="value">The value as configured.</param>
    /// <param name="host">The host with surrounding whitespace and IPv6 brackets removed.</param>
    public static bool TryNormalize(string value, out string host)
    {
        host = value.Trim();
        if (host.Length > 2 && host[0] == '[' && host[^1] == ']')
        {
            host = host[1..^1];
            return IPAddress.TryParse(host, out IPAddress? v6) && v6.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        }

        if (host.Contains(':', StringComparison.Ordinal))
        {
            // Only an IPv6 literal may contain a colon; "host:port" is a common mistake.
            return IPAddress.TryParse(host, out _);
        }

        if (IPAddress.TryParse(host, out _) && host.Count(c => c == '.') == 3)
        {
            return true;
        }

        return IsDnsName(host);
    }

    private static bool IsDnsName(string name)
    {
        string trimmed = name.EndsWith('.') ? name[..^1] : name;
        if (trimmed.Length == 0 || trimmed.Length > MaxLength)
        {
            return false;
        }

        foreach (string label in trimmed.Split('.'))
        {
            if (label.Length == 0 || label.Length > MaxLabelLength || label[0] == '-' || label[^1] == '-')
            {
                return false;
            }

            foreach (char c in label)
            {
                if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
                {
                    return false;
                }
            }
        }

        return true;
    }
}
