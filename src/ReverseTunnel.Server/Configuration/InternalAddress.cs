using System.Net;
using System.Net.Sockets;

namespace ReverseTunnel.Server.Configuration;

/// <summary>Classifies tunnel bind addresses: tunnels must be reachable from the internal network only.</summary>
public static class InternalAddress
{
    /// <summary>True for 0.0.0.0 and :: (every interface, public ones included).</summary>
    public static bool IsWildcard(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        return address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any);
    }

    /// <summary>
    /// True for loopback, RFC 1918 (10/8, 172.16/12, 192.168/16), RFC 6598 shared (100.64/10),
    /// link-local (169.254/16, fe80::/10) and IPv6 unique-local (fc00::/7) addresses.
    /// </summary>
    public static bool IsInternal(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address))
        {
            return true;
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            return address.IsIPv6LinkLocal || address.IsIPv6UniqueLocal;
        }

        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            return false;
        }

        byte[] b = address.GetAddressBytes();
        return b[0] == 10
            || (b[0] == 172 && b[1] is >= 16 and <= 31)
            || (b[0] == 192 && b[1] == 168)
            || (b[0] == 100 && b[1] is >= 64 and <= 127)
            || (b[0] == 169 && b[1] == 254);
    }
}
