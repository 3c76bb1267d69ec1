using System.Net;

namespace ReverseTunnel.Agent.Connection;

/// <summary>
/// The HTTP CONNECT proxy for the connection to ws-server, honouring <see cref="NoProxyList"/>.
/// </summary>
/// <remarks>
/// Not <see cref="WebProxy"/>: its bypass list is a list of regular expressions (not curl's
/// <c>NO_PROXY</c> syntax) and it always bypasses loopback addresses, whatever
/// <see cref="WebProxy.BypassProxyOnLocal"/> says. Credentials in the proxy URL
/// (<c>http://user:password@proxy:3128</c>) are moved to <see cref="Credentials"/> and removed from
/// the address, which is what the logs show.
/// </remarks>
public sealed class TunnelProxy : IWebProxy
{
    private readonly NoProxyList _noProxy;

    /// <summary>Creates the proxy for <paramref name="proxyUri"/>.</summary>
    public TunnelProxy(Uri proxyUri, NoProxyList noProxy)
    {
        _noProxy = noProxy;
        Address = new UriBuilder(proxyUri) { UserName = string.Empty, Password = string.Empty, Path = "/" }.Uri;
        if (proxyUri.UserInfo.Length > 0)
        {
            string[] parts = proxyUri.UserInfo.Split(':', 2);
            Credentials = new NetworkCredential(Uri.UnescapeDataString(parts[0]), parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : string.Empty);
        }
    }

    /// <summary>The proxy's address without credentials: safe to log.</summary>
    public Uri Address { get; }

    /// <inheritdoc />
    public ICredentials? Credentials { get; set; }

    /// <inheritdoc />
    public Uri? GetProxy(Uri destination) => IsBypassed(destination) ? null : Address;

    /// <inheritdoc />
    public bool IsBypassed(Uri host) => _noProxy.Matches(host.IdnHost, host.Port);
}
