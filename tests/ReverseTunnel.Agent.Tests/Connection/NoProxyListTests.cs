using ReverseTunnel.Agent.Connection;

namespace ReverseTunnel.Agent.Tests.Connection;

public sealed class NoProxyListTests
{
    [Theory]
    [InlineData("example.com", "example.com", 443, true)]
    [InlineData("example.com", "tunnel.example.com", 443, true)]
    [InlineData("example.com", "notexample.com", 443, false)]
    [InlineData(".example.com", "tunnel.example.com", 443, true)]
    [InlineData(".example.com", "example.com", 443, true)]
    [InlineData("*.example.com", "a.b.example.com", 443, true)]
    [InlineData("EXAMPLE.com", "Tunnel.Example.COM", 443, true)]
    [InlineData("*", "anything.at.all", 443, true)]
    [InlineData("other.org, *", "anything", 1, true)]
    [InlineData("example.com:8443", "example.com", 8443, true)]
    [InlineData("example.com:8443", "example.com", 443, false)]
    [InlineData("10.1.2.3", "10.1.2.3", 443, true)]
    [InlineData("10.1.2.3", "10.1.2.4", 443, false)]
    [InlineData("10.0.0.0/8", "10.200.3.4", 443, true)]
    [InlineData("10.0.0.0/8", "11.0.0.1", 443, false)]
    [InlineData("::1", "[::1]", 443, true)]
    [InlineData("[::1]:443", "::1", 443, true)]
    [InlineData("[::1]:443", "::1", 80, false)]
    [InlineData("127.0.0.1:443", "127.0.0.1", 443, true)]
    [InlineData("a.com, b.com ,c.com", "b.com", 443, true)]
    [InlineData("", "example.com", 443, false)]
    [InlineData("localhost", "127.0.0.1", 443, false)]
    public void Matches_Entry_FollowsCurlSemantics(string list, string host, int port, bool expected)
    {
        Assert.Equal(expected, NoProxyList.Parse(list).Matches(host, port));
    }

    [Fact]
    public void IsBypassed_LoopbackNotListed_UsesTheProxy()
    {
        var proxy = new TunnelProxy(new Uri("http://proxy:3128"), NoProxyList.Empty);

        Assert.False(proxy.IsBypassed(new Uri("wss://127.0.0.1:8443/tunnel")));
        Assert.Equal(new Uri("http://proxy:3128/"), proxy.GetProxy(new Uri("wss://127.0.0.1:8443/tunnel")));
    }

    [Fact]
    public void Constructor_CredentialsInUrl_AreMovedOutOfTheAddress()
    {
        var proxy = new TunnelProxy(new Uri("http://user:p%40ss@proxy:3128"), NoProxyList.Empty);

        Assert.Equal("http://proxy:3128/", proxy.Address.ToString());
        System.Net.NetworkCredential credential = Assert.IsType<System.Net.NetworkCredential>(proxy.Credentials);
        Assert.Equal("user", credential.UserName);
        Assert.Equal("p@ss", credential.Password);
    }
}
