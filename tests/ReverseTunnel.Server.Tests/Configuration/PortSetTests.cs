using ReverseTunnel.Server.Configuration;

namespace ReverseTunnel.Server.Tests.Configuration;

public sealed class PortSetTests
{
    [Theory]
    [InlineData("1024-65535", 1024, true)]
    [InlineData("1024-65535", 1023, false)]
    [InlineData("5000, 6000-6010", 6010, true)]
    [InlineData("5000,6000-6010", 5999, false)]
    public void TryParse_ValidList_ContainsExpectedPorts(string text, int port, bool expected)
    {
        Assert.True(PortSet.TryParse([text], out PortSet set, out _));
        Assert.Equal(expected, set.Contains(port));
    }

    [Theory]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("65536")]
    [InlineData("6010-6000")]
    [InlineData("abc")]
    [InlineData("5000,")]
    public void TryParse_InvalidList_Fails(string text)
    {
        Assert.False(PortSet.TryParse([text], out _, out string? error));
        Assert.False(string.IsNullOrEmpty(error));
    }
}
