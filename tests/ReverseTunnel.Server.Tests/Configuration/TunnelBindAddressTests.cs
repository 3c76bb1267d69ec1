using System.Net;
using Microsoft.Extensions.Logging;
using ReverseTunnel.Server.Configuration;
using ReverseTunnel.Server.Tests.Infrastructure;

namespace ReverseTunnel.Server.Tests.Configuration;

/// <summary>Tunnel ports must be internal only: wildcards refused, other non-internal addresses warned about.</summary>
public sealed class TunnelBindAddressTests
{
    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("::")]
    public void Validate_WildcardBindAddress_RefusedNamingSettingAndFix(string address)
    {
        IReadOnlyList<string> problems = TunnelOptionsValidator.Validate(new TunnelOptions { TunnelBindAddress = address });

        string problem = Assert.Single(problems);
        Assert.StartsWith("Tunnel:TunnelBindAddress", problem, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("::1", true)]
    [InlineData("10.1.2.3", true)]
    [InlineData("172.16.0.1", true)]
    [InlineData("172.31.255.254", true)]
    [InlineData("172.32.0.1", false)]
    [InlineData("192.168.1.10", true)]
    [InlineData("100.64.0.1", true)]
    [InlineData("100.127.255.254", true)]
    [InlineData("100.128.0.1", false)]
    [InlineData("169.254.10.10", true)]
    [InlineData("fe80::1", true)]
    [InlineData("fd12:3456::1", true)]
    [InlineData("::ffff:10.0.0.1", true)]
    [InlineData("203.0.113.7", false)]
    [InlineData("8.8.8.8", false)]
    [InlineData("2001:db8::1", false)]
    public void IsInternal_Address_ClassifiedAsInternalOrNot(string address, bool expected)
    {
        Assert.Equal(expected, InternalAddress.IsInternal(IPAddress.Parse(address)));
    }

    [Fact]
    public async Task Start_PublicBindAddress_LogsWarning()
    {
        await using TestServer server = await TestServer.StartAsync(null, null, "--Tunnel:TunnelBindAddress=203.0.113.7");

        CapturedLog warning = Assert.Single(server.Logs.Entries, e => e.EventId == 1051);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("203.0.113.7", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_LoopbackBindAddress_NoWarning()
    {
        await using TestServer server = await TestServer.StartAsync();

        Assert.DoesNotContain(server.Logs.Entries, e => e.EventId == 1051);
    }
}
