using ReverseTunnel.Agent.Configuration;
using ReverseTunnel.Agent.Tests.Infrastructure;

namespace ReverseTunnel.Agent.Tests.Configuration;

/// <summary>KEEPALIVE_SECONDS, MAX_STREAMS and IDLE_STREAM_TIMEOUT_SECONDS.</summary>
public sealed class LimitSettingsTests
{
    private static Dictionary<string, string?> Environment(params (string Name, string Value)[] extra)
    {
        var environment = new Dictionary<string, string?>
        {
            ["TUNNEL_PORT"] = "5000",
            ["CLIENT_SIDE_DOMAIN"] = "jira.internal",
            ["CLIENT_SIDE_PORT"] = "443",
            ["SERVER_IP_DOMAIN"] = "tunnel.example.com",
            ["CLIENT_UUID"] = TestOptions.Token,
        };
        foreach ((string name, string value) in extra)
        {
            environment[name] = value;
        }

        return environment;
    }

    [Fact]
    public void Parse_LimitsUnset_UseSafeDefaults()
    {
        AgentOptions options = AgentOptionsParser.Parse([], Environment()).Options!;

        Assert.Equal(TimeSpan.FromSeconds(15), options.KeepAlive);
        Assert.Equal(16_384, options.MaxStreams);
        Assert.Equal(TimeSpan.Zero, options.IdleStreamTimeout);
    }

    [Fact]
    public void Parse_LimitsSet_AreRead()
    {
        AgentOptions options = AgentOptionsParser.Parse(["--max-streams", "100"],
            Environment(("KEEPALIVE_SECONDS", "2"), ("MAX_STREAMS", "7"), ("IDLE_STREAM_TIMEOUT_SECONDS", "3600"))).Options!;

        Assert.Equal(TimeSpan.FromSeconds(2), options.KeepAlive);
        Assert.Equal(100, options.MaxStreams);
        Assert.Equal(TimeSpan.FromHours(1), options.IdleStreamTimeout);
    }

    [Theory]
    [InlineData("KEEPALIVE_SECONDS", "1")]
    [InlineData("KEEPALIVE_SECONDS", "301")]
    [InlineData("MAX_STREAMS", "0")]
    [InlineData("MAX_STREAMS", "65537")]
    [InlineData("IDLE_STREAM_TIMEOUT_SECONDS", "-1")]
    [InlineData("IDLE_STREAM_TIMEOUT_SECONDS", "604801")]
    public void Parse_LimitOutOfRange_IsRefusedNamingTheVariable(string variable, string value)
    {
        OptionsParseResult result = AgentOptionsParser.Parse([], Environment((variable, value)));

        Assert.False(result.IsValid);
        Assert.Contains(result.Errors, e => e.StartsWith(variable + " ", StringComparison.Ordinal));
    }
}
