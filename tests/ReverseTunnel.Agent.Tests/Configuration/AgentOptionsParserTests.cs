using Microsoft.Extensions.Logging;
using ReverseTunnel.Agent.Configuration;
using ReverseTunnel.Agent.Tests.Infrastructure;

namespace ReverseTunnel.Agent.Tests.Configuration;

public sealed class AgentOptionsParserTests
{
    private static Dictionary<string, string?> ValidEnvironment() => new()
    {
        ["TUNNEL_PORT"] = "5000",
        ["CLIENT_SIDE_DOMAIN"] = "jira.internal",
        ["CLIENT_SIDE_PORT"] = "443",
        ["SERVER_IP_DOMAIN"] = "tunnel.example.com",
        ["CLIENT_UUID"] = TestOptions.Token,
    };

    [Fact]
    public void Parse_RequiredVariablesOnly_UsesDefaults()
    {
        OptionsParseResult result = AgentOptionsParser.Parse([], ValidEnvironment());

        Assert.Empty(result.Errors);
        AgentOptions options = Assert.IsType<AgentOptions>(result.Options);
        Assert.Equal(5000, options.TunnelPort);
        Assert.Equal("jira.internal", options.TargetHost);
        Assert.Equal(443, options.TargetPort);
        Assert.Equal("tunnel.example.com", options.ServerHost);
        Assert.Equal(443, options.ServerPort);
        Assert.Equal(TestOptions.Token, options.Token);
        Assert.False(options.InsecureSkipVerify);
        Assert.Null(options.PinnedCertSha256);
        Assert.Null(options.Proxy);
        Assert.Equal(LogLevel.Information, options.LogLevel);
        Assert.Equal(TimeSpan.FromSeconds(10), options.DialTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), options.ReconnectMaxDelay);
        Assert.Equal("wss://tunnel.example.com:443/tunnel", options.ServerUrl);
        Assert.Equal(new Uri("wss://tunnel.example.com/tunnel"), options.ServerUri);
    }

    [Fact]
    public void Parse_NothingSet_ListsEveryRequiredVariableAtOnce()
    {
        OptionsParseResult result = AgentOptionsParser.Parse([], new Dictionary<string, string?>());

        Assert.False(result.IsValid);
        Assert.Equal(5, result.Errors.Count);
        foreach (string name in new[] { "TUNNEL_PORT", "CLIENT_SIDE_DOMAIN", "CLIENT_SIDE_PORT", "SERVER_IP_DOMAIN", "CLIENT_UUID" })
        {
            Assert.Contains(result.Errors, e => e.StartsWith(name + " ", StringComparison.Ordinal) && e.Contains("is not set", StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData("TUNNEL_PORT", "0")]
    [InlineData("TUNNEL_PORT", "65536")]
    [InlineData("TUNNEL_PORT", "abc")]
    [InlineData("CLIENT_SIDE_PORT", "-1")]
    [InlineData("SERVER_PORT", "70000")]
    [InlineData("CLIENT_SIDE_DOMAIN", "jira.internal:8080")]
    [InlineData("SERVER_IP_DOMAIN", "https://tunnel.example.com")]
    [InlineData("SERVER_IP_DOMAIN", "bad host")]
    [InlineData("PINNED_CERT_SHA256", "abcd")]
    [InlineData("PINNED_CERT_SHA256", "zz00000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("INSECURE_SKIP_VERIFY", "maybe")]
    [InlineData("LOG_LEVEL", "Loud")]
    [InlineData("DIAL_TIMEOUT_SECONDS", "0")]
    [InlineData("RECONNECT_MAX_DELAY_SECONDS", "10")]
    [InlineData("CA_FILE", "/nonexistent/ca.pem")]
    [InlineData("HTTPS_PROXY", "ftp://proxy:21")]
    public void Parse_InvalidValue_NamesTheVariable(string variable, string value)
    {
        Dictionary<string, string?> environment = ValidEnvironment();
        environment[variable] = value;

        OptionsParseResult result = AgentOptionsParser.Parse([], environment);

        string error = Assert.Single(result.Errors);
        Assert.StartsWith(variable + " ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_SeveralInvalidValues_ReportsEachOnce()
    {
        Dictionary<string, string?> environment = ValidEnvironment();
        environment["TUNNEL_PORT"] = "0";
        environment["SERVER_PORT"] = "x";
        environment.Remove("CLIENT_SIDE_DOMAIN");

        OptionsParseResult result = AgentOptionsParser.Parse([], environment);

        Assert.Equal(3, result.Errors.Count);
    }

    [Fact]
    public void Parse_TokenWithWhitespace_NeverShowsTheToken()
    {
        Dictionary<string, string?> environment = ValidEnvironment();
        environment["CLIENT_UUID"] = "secret token-value";
        environment["TUNNEL_PORT"] = "0";

        OptionsParseResult result = AgentOptionsParser.Parse([], environment);

        Assert.Contains(result.Errors, e => e.StartsWith("CLIENT_UUID", StringComparison.Ordinal));
        Assert.DoesNotContain(result.Errors, e => e.Contains("secret", StringComparison.Ordinal) || e.Contains("token-value", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_TokenLongerThanTheServerAccepts_IsRefusedWithoutShowingIt()
    {
        Dictionary<string, string?> environment = ValidEnvironment();
        environment["CLIENT_UUID"] = new string('k', 1025);

        OptionsParseResult result = AgentOptionsParser.Parse([], environment);

        string error = Assert.Single(result.Errors);
        Assert.StartsWith("CLIENT_UUID", error, StringComparison.Ordinal);
        Assert.Contains("is 1025 characters long", error, StringComparison.Ordinal);
        Assert.DoesNotContain("kkkk", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_TokenOfExactlyTheServersLimit_IsAccepted()
    {
        Dictionary<string, string?> environment = ValidEnvironment();
        environment["CLIENT_UUID"] = new string('k', 1024);

        OptionsParseResult result = AgentOptionsParser.Parse([], environment);

        Assert.Empty(result.Errors);
    }

    [Fact]
    public void Parse_ProxyWithPassword_NeverShowsThePassword()
    {
        Dictionary<string, string?> environment = ValidEnvironment();
        environment["HTTPS_PROXY"] = "ftp://user:hunter2@proxy:21";

        OptionsParseResult result = AgentOptionsParser.Parse([], environment);

        Assert.DoesNotContain(result.Errors, e => e.Contains("hunter2", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_FlagsGiven_OverrideVariables()
    {
        Dictionary<string, string?> environment = ValidEnvironment();
        environment["SERVER_PORT"] = "not-a-port";
        environment["LOG_LEVEL"] = "Debug";

        OptionsParseResult result = AgentOptionsParser.Parse(
            ["--tunnel-port", "6000", "--server-port", "8443", "--client-side-domain", "10.0.0.5", "--log-level", "warning", "--insecure-skip-verify", "--dial-timeout-seconds", "3"],
            environment);

        AgentOptions options = Assert.IsType<AgentOptions>(result.Options);
        Assert.Equal(6000, options.TunnelPort);
        Assert.Equal(8443, options.ServerPort);
        Assert.Equal("10.0.0.5", options.TargetHost);
        Assert.Equal(LogLevel.Warning, options.LogLevel);
        Assert.True(options.InsecureSkipVerify);
        Assert.Equal(TimeSpan.FromSeconds(3), options.DialTimeout);
    }

    [Fact]
    public void Parse_OnlyFlags_NeedsNoEnvironment()
    {
        OptionsParseResult result = AgentOptionsParser.Parse(
            ["--tunnel-port", "5000", "--client-side-domain", "jira", "--client-side-port", "80", "--server-ip-domain", "::1", "--client-uuid", "t"],
            new Dictionary<string, string?>());

        AgentOptions options = Assert.IsType<AgentOptions>(result.Options);
        Assert.Equal("::1", options.ServerHost);
        Assert.Equal("wss://[::1]:443/tunnel", options.ServerUrl);
    }

    [Theory]
    [InlineData("AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89")]
    [InlineData("abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789")]
    [InlineData("sha256 Fingerprint=AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89")]
    public void Parse_PinWithOrWithoutColons_IsAccepted(string pin)
    {
        Dictionary<string, string?> environment = ValidEnvironment();
        environment["PINNED_CERT_SHA256"] = pin;

        AgentOptions options = Assert.IsType<AgentOptions>(AgentOptionsParser.Parse([], environment).Options);

        Assert.Equal(Convert.FromHexString("abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"), options.PinnedCertSha256);
    }

    [Fact]
    public void Parse_PinAndInsecure_IsRejected()
    {
        Dictionary<string, string?> environment = ValidEnvironment();
        environment["PINNED_CERT_SHA256"] = new string('a', 64);
        environment["INSECURE_SKIP_VERIFY"] = "true";

        OptionsParseResult result = AgentOptionsParser.Parse([], environment);

        Assert.Contains(result.Errors, e => e.Contains("PINNED_CERT_SHA256", StringComparison.Ordinal) && e.Contains("INSECURE_SKIP_VERIFY", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_LowerCaseProxyVariables_AreRead()
    {
        Dictionary<string, string?> environment = ValidEnvironment();
        environment["https_proxy"] = "proxy.corp:3128";
        environment["no_proxy"] = ".example.com";

        AgentOptions options = Assert.IsType<AgentOptions>(AgentOptionsParser.Parse([], environment).Options);

        Assert.Equal(new Uri("http://proxy.corp:3128"), options.Proxy);
        Assert.True(options.NoProxy.Matches("tunnel.example.com", 443));
    }

    [Fact]
    public void Parse_CaFileWithCertificate_LoadsIt()
    {
        using var ca = TestCertificates.CertificateAuthority();
        string path = TestCertificates.WritePem(ca);
        try
        {
            Dictionary<string, string?> environment = ValidEnvironment();
            environment["CA_FILE"] = path;

            AgentOptions options = Assert.IsType<AgentOptions>(AgentOptionsParser.Parse([], environment).Options);

            Assert.Equal(ca.Thumbprint, Assert.Single(options.CaCertificates).Thumbprint);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Parse_CaFileWithoutCertificates_IsRejected()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "not a certificate");
            Dictionary<string, string?> environment = ValidEnvironment();
            environment["CA_FILE"] = path;

            string error = Assert.Single(AgentOptionsParser.Parse([], environment).Errors);

            Assert.StartsWith("CA_FILE", error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Parse_UnknownFlag_IsAnError()
    {
        OptionsParseResult result = AgentOptionsParser.Parse(["--bogus"], ValidEnvironment());

        Assert.False(result.IsValid);
        Assert.NotEmpty(result.Errors);
    }

    [Fact]
    public void Help_EverySetting_ShowsItsVariableAndDefault()
    {
        var output = new StringWriter();
        var commandLine = new AgentCommandLine();

        int exitCode = commandLine.Parse(["--help"]).Invoke(new System.CommandLine.InvocationConfiguration { Output = output });

        Assert.Equal(0, exitCode);
        string help = output.ToString();
        foreach (AgentSetting setting in AgentSettings.All)
        {
            Assert.Contains(setting.Flag, help, StringComparison.Ordinal);
            Assert.Contains(setting.Variable, help, StringComparison.Ordinal);
        }

        Assert.Contains("default: 443", help, StringComparison.Ordinal);
    }

    [Fact]
    public void Help_ExitCodes_SayRefusalsAreTerminalOnlyWhenTheProblemCodeSaysSo()
    {
        var output = new StringWriter();
        var commandLine = new AgentCommandLine();

        int exitCode = commandLine.Parse(["--help"]).Invoke(new System.CommandLine.InvocationConfiguration { Output = output });

        Assert.Equal(0, exitCode);
        // The help wraps long lines: compare with the whitespace collapsed.
        string help = string.Join(' ', output.ToString().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("401/403/409/426 are terminal only when the server's problem code says so", help, StringComparison.Ordinal);
        Assert.Contains("3 token rejected (401 unknown_token)", help, StringComparison.Ordinal);
        Assert.Contains("4 port not allowed (403 port_not_allowed)", help, StringComparison.Ordinal);
        Assert.Contains("5 port in use by another client (409 port_in_use)", help, StringComparison.Ordinal);
        Assert.Contains("6 protocol version mismatch (426 protocol_version_mismatch)", help, StringComparison.Ordinal);
    }
}
