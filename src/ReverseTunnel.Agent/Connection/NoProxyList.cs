using System.Globalization;
using System.Net;

namespace ReverseTunnel.Agent.Connection;

/// <summary>
/// A parsed <c>NO_PROXY</c> list, with curl's and Go's common semantics: entries are separated by
/// commas; <c>*</c> matches every host; <c>example.com</c> and <c>.example.com</c> match that domain
/// and every subdomain; an entry may carry a port (<c>host:8443</c>, <c>[::1]:443</c>) and then
/// matches only that port; IP literals match exactly and CIDR blocks (<c>10.0.0.0/8</c>) by prefix.
/// Matching is case-insensitive. Loopback gets no special treatment: list it to bypass the proxy.
/// </summary>
public sealed class NoProxyList
{
    private readonly IReadOnlyList<Entry> _entries;
    private readonly bool _matchAll;

    private NoProxyList(IReadOnlyList<Entry> entries, bool matchAll)
    {
        _entries = entries;
        _matchAll = matchAll;
    }

    /// <summary>The empty list: nothing bypasses the proxy.</summary>
    public static NoProxyList Empty { get; } = new([], matchAll: false);

    /// <summary>Parses a <c>NO_PROXY</c> value; null or blank gives <see cref="Empty"/>. Unparseable entries are kept as names.</summary>
    public static NoProxyList Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return Empty;
        }

        var entries = new List<Entry>();
        bool matchAll = false;
        foreach (string part in value.Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (part == "*")
            {
                matchAll = true;
                continue;
            }

            entries.Add(ParseEntry(part.ToLowerInvariant()));
        }

        return new NoProxyList(entries, matchAll);
    }

    /// <summary>True when a connection to <paramref name="host"/>:<paramref name="port"/> must not use the proxy.</summary>
    public bool Matches(string host, int port)
    {
        if (_matchAll)
        {
            return true;
        }

        string name = host.Trim('[', ']').TrimEnd('.').ToLowerInvariant();
        IPAddress? address = IPAddress.TryParse(name, out IPAddress? parsed) ? parsed : null;
        foreach (Entry entry in _entries)
        {
            if (entry.Port is { } entryPort && entryPort != port)
            {
                continue;
            }

            if (entry.Network is { } network)
            {
                if (address is not null && network.Contains(address))
                {
                    return true;
                }

                continue;
            }

            if (address is not null && entry.Address is not null)
            {
                if (address.Equals(entry.Address))
                {
                    return true;
                }

                continue;
            }

            if (name == entry.Domain || name.EndsWith("." + entry.Domain, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static Entry ParseEntry(string text)
    {
        if (IPNetwork.TryParse(text, out IPNetwork network) && text.Contains('/', StringComparison.Ordinal))
        {
            return new Entry(null, null, network, null);
        }

        string host = text;
        int? port = null;
        if (host.StartsWith('['))
        {
            int close = host.IndexOf(']', StringComparison.Ordinal);
            if (close > 0)
            {
                port = ParsePort(host[(close + 1)..].TrimStart(':'));
                host = host[1..close];
            }
        }
        else if (host.Count(c => c == ':') == 1)
        {
            int colon = host.IndexOf(':', StringComparison.Ordinal);
            port = ParsePort(host[(colon + 1)..]);
            host = host[..colon];
        }

        if (IPAddress.TryParse(host, out IPAddress? address) && (host.Contains(':', StringComparison.Ordinal) || host.Count(c => c == '.') == 3))
        {
            return new Entry(null, address, null, port);
        }

        // "*.example.com" and ".example.com" both mean the domain and its subdomains.
        string domain = host.TrimStart('*').TrimStart('.').TrimEnd('.');
        return new Entry(domain, null, null, port);
    }

    private static int? ParsePort(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int port) && port is >= 1 and <= 65535 ? port : null;

    private sealed record Entry(string? Domain, IPAddress? Address, IPNetwork? Network, int? Port);
}
