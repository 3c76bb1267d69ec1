using Microsoft.Extensions.Configuration;
using ReverseTunnel.Server.Configuration;
using ReverseTunnel.Server.Hosting;

namespace ReverseTunnel.Server.Tests.Configuration;

public sealed class OptionsValidationTests
{
    [Fact]
    public void Read_SeveralBadSettings_ReportsAllAtOnce()
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Tunnel:ListenPort"] = "70000",
            ["Tunnel:ListenAddress"] = "not-an-ip",
            ["Tunnel:TunnelBindAddress"] = "also-not",
            ["Tunnel:AllowedPorts"] = "10-5",
            ["Tunnel:ShutdownTimeout"] = "soon",
            ["Tunnel:ListenPrt"] = "8443",
            ["Tunnel:CertificateKeyPath"] = "/nonexistent/key.pem",
            ["Tunnel:Session:MaxFramePayload"] = "10",
        }).Build();

        TunnelConfigurationException ex = Assert.Throws<TunnelConfigurationException>(() => TunnelConfigurationReader.Read(configuration));

        string[] expected =
        [
            "Tunnel:ListenPort", "Tunnel:ListenAddress", "Tunnel:TunnelBindAddress", "Tunnel:AllowedPorts",
            "Tunnel:ShutdownTimeout", "Tunnel:ListenPrt", "Tunnel:CertificateKeyPath", "Tunnel:Session:MaxFramePayload",
        ];
        foreach (string setting in expected)
        {
            Assert.Contains(ex.Problems, p => p.StartsWith(setting, StringComparison.Ordinal));
        }

        Assert.Contains($"({ex.Problems.Count} problems)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("--Tunnel:ListenPort=8443", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_NoSettings_UsesDocumentedDefaults()
    {
        TunnelOptions options = TunnelConfigurationReader.Read(new ConfigurationBuilder().Build());

        Assert.Equal("0.0.0.0", options.ListenAddress);
        Assert.Equal(443, options.ListenPort);
        Assert.Equal("127.0.0.1", options.TunnelBindAddress);
        Assert.Equal("1024-65535", options.AllowedPorts);
        Assert.Equal(TimeSpan.FromSeconds(30), options.ShutdownTimeout);
        Assert.Equal(Path.Combine(Path.GetFullPath("data"), "clients.json"), options.ResolvedClientsFile);
    }

    [Fact]
    public void Build_CommandLineFlags_BindTunnelSection()
    {
        IConfiguration configuration = new ConfigurationBuilder()
            .AddCommandLine(["--Tunnel:ListenPort=8443", "--Tunnel:Session:MaxConcurrentStreams=10"])
            .Build();

        TunnelOptions options = TunnelConfigurationReader.Read(configuration);

        Assert.Equal(8443, options.ListenPort);
        Assert.Equal(10, options.Session.MaxConcurrentStreams);
    }

    [Fact]
    public void Build_InvalidArguments_ThrowsConfigurationException()
    {
        Assert.Throws<TunnelConfigurationException>(() => ServerApplication.Build(["--Tunnel:ListenPort=-1"]));
    }
}
