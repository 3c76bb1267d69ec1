using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ReverseTunnel.Server.Clients;
using ReverseTunnel.Server.Configuration;

namespace ReverseTunnel.Server.Tests.Clients;

public sealed class ClientRegistryTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("ws-server-clients-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Load_NoClientsFile_CreatesEmptyOwnerOnlyRegistry()
    {
        using ClientRegistry registry = Create();

        registry.Load();

        Assert.Empty(registry.Current.Clients);
        Assert.Equal("{\"clients\":[]}", File.ReadAllText(registry.FilePath).Trim());
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(registry.FilePath));
        }
    }

    [Fact]
    public void Load_BrokenFileAtStart_ThrowsConfigurationErrorNamingFile()
    {
        File.WriteAllText(Path.Combine(_directory, "clients.json"), "{\"clients\":[{\"name\":\"a\"}]}");
        using ClientRegistry registry = Create();

        TunnelConfigurationException ex = Assert.Throws<TunnelConfigurationException>(registry.Load);

        Assert.All(ex.Problems, p => Assert.Contains(registry.FilePath, p, StringComparison.Ordinal));
        Assert.Equal(2, ex.Problems.Count);
    }

    [Fact]
    public void Reload_FileDeleted_KeepsLastGoodRegistry()
    {
        File.WriteAllText(Path.Combine(_directory, "clients.json"), "{\"clients\":[{\"name\":\"a\",\"token\":\"t\",\"ports\":[\"5000\"]}]}");
        using ClientRegistry registry = Create();
        registry.Load();

        File.Delete(registry.FilePath);

        Assert.False(registry.Reload());
        Assert.Equal("a", registry.Current.FindByToken("t")?.Name);
    }

    private ClientRegistry Create() => new(
        Options.Create(new TunnelOptions { DataDirectory = _directory }),
        NullLogger<ClientRegistry>.Instance);
}
