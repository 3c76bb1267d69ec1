using ReverseTunnel.Server.Hosting;

namespace ReverseTunnel.Server.Tests.Clients;

public sealed class HashTokenCommandTests
{
    [Fact]
    public void Run_TokenArgument_PrintsSha256Hex()
    {
        using var output = new StringWriter();

        int exitCode = HashTokenCommand.Run(["abc"], TextReader.Null, output, TextWriter.Null);

        Assert.Equal(0, exitCode);
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", output.ToString().Trim());
    }

    [Fact]
    public void Run_TokenOnStandardInput_PrintsSameHash()
    {
        using var output = new StringWriter();

        int exitCode = HashTokenCommand.Run([], new StringReader("abc\n"), output, TextWriter.Null);

        Assert.Equal(0, exitCode);
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", output.ToString().Trim());
    }

    [Fact]
    public void Run_NoToken_PrintsUsageAndFails()
    {
        using var error = new StringWriter();

        int exitCode = HashTokenCommand.Run([], new StringReader(string.Empty), TextWriter.Null, error);

        Assert.Equal(2, exitCode);
        Assert.Contains("Usage", error.ToString(), StringComparison.Ordinal);
    }
}
