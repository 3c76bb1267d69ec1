using Microsoft.Extensions.Configuration;
using ReverseTunnel.Server.Configuration;

namespace ReverseTunnel.Server.Tests.Configuration;

public sealed class LimitOptionsTests
{
    [Fact]
    public void Read_NoSettings_LimitsHaveSafeDefaults()
    {
        TunnelOptions options = TunnelConfigurationReader.Read(new ConfigurationBuilder().Build());

        Assert.Equal(TimeSpan.FromSeconds(15), options.KeepAliveInterval);
        Assert.Equal(TimeSpan.FromSeconds(15), options.KeepAliveTimeout);
        Assert.Equal(TimeSpan.FromSeconds(10), options.HandshakeTimeout);
        Assert.Equal(10, options.AuthFailureBurst);
        Assert.Equal(60, options.AuthFailuresPerMinute);
        Assert.Equal(1_000, options.MaxSessions);
        Assert.Equal(64, options.MaxSessionsPerClient);
        Assert.Equal(16_384, options.MaxStreamsPerSession);
        Assert.Equal(10L * 1024 * 1024 * 1024, options.MaxBufferedBytes);
        Assert.Equal(TimeSpan.Zero, options.IdleStreamTimeout);
    }

    [Fact]
    public void Read_LimitsSet_AreBound()
    {
        TunnelOptions options = Read(
            ("KeepAliveInterval", "00:00:01"), ("KeepAliveTimeout", "00:00:02"), ("MaxSessions", "5"), ("MaxBufferedBytes", "5000000000"),
            ("IdleStreamTimeout", "01:00:00"));

        Assert.Equal(TimeSpan.FromSeconds(1), options.KeepAliveInterval);
        Assert.Equal(TimeSpan.FromSeconds(2), options.KeepAliveTimeout);
        Assert.Equal(5, options.MaxSessions);
        Assert.Equal(5_000_000_000, options.MaxBufferedBytes);
        Assert.Equal(TimeSpan.FromHours(1), options.IdleStreamTimeout);
    }

    [Fact]
    public void Read_SessionsTimesWindowAboveMaxBufferedBytes_RefusesNamingTheSettings()
    {
        var ex = Assert.Throws<TunnelConfigurationException>(() => Read(("MaxSessions", "100000")));

        string problem = Assert.Single(ex.Problems);
        foreach (string setting in new[] { "Tunnel:MaxSessions", "Tunnel:Session:SessionWindow", "Tunnel:MaxBufferedBytes" })
        {
            Assert.Contains(setting, problem, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("KeepAliveInterval", "00:00:00")]
    [InlineData("KeepAliveTimeout", "01:00:00")]
    [InlineData("HandshakeTimeout", "00:00:00.100")]
    [InlineData("AuthFailureBurst", "0")]
    [InlineData("AuthFailuresPerMinute", "0")]
    [InlineData("MaxSessions", "0")]
    [InlineData("MaxSessionsPerClient", "0")]
    [InlineData("MaxStreamsPerSession", "0")]
    [InlineData("MaxBufferedBytes", "1000")]
    [InlineData("IdleStreamTimeout", "00:00:00.500")]
    [InlineData("MaxBufferedBytes", "lots")]
    public void Read_LimitOutOfRange_RefusesNamingTheSetting(string name, string value)
    {
        var ex = Assert.Throws<TunnelConfigurationException>(() => Read((name, value)));

        Assert.Contains(ex.Problems, p => p.StartsWith("Tunnel:" + name, StringComparison.Ordinal));
    }

    private static TunnelOptions Read(params (string Name, string Value)[] settings) =>
        TunnelConfigurationReader.Read(new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>("Tunnel:" + s.Name, s.Value)))
            .Build());
}
