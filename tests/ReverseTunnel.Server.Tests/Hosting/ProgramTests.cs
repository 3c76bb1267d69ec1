using System.Diagnostics;
using System.Text.RegularExpressions;
using ReverseTunnel.Server.Tests.Infrastructure;

namespace ReverseTunnel.Server.Tests.Hosting;

/// <summary>The real ws-server process: its command line, exit codes and the stdout lines scripts parse.</summary>
public sealed partial class ProgramTests
{
    [Fact]
    public async Task Main_InvalidConfiguration_ExitsWith2ListingEveryProblem()
    {
        using Process process = Start("--Tunnel:ListenPort=-1", "--Tunnel:AllowedPorts=x", "--Tunnel:ListenAddress=nowhere");
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TestTimeouts.Default);

        Assert.Equal(2, process.ExitCode);
        string message = await stderr;
        Assert.Contains("(3 problems)", message, StringComparison.Ordinal);
        Assert.Contains("Tunnel:ListenPort", message, StringComparison.Ordinal);
        Assert.Contains("Tunnel:AllowedPorts", message, StringComparison.Ordinal);
        Assert.Contains("Tunnel:ListenAddress", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Main_PortZero_PrintsListeningLineAndFingerprintOnStdout()
    {
        string directory = Directory.CreateTempSubdirectory("ws-server-process-").FullName;
        using Process process = Start("--Tunnel:ListenAddress=127.0.0.1", "--Tunnel:ListenPort=0", $"--Tunnel:DataDirectory={directory}");
        try
        {
            string? fingerprint = null;
            int port = 0;
            using var deadline = new CancellationTokenSource(TestTimeouts.Default);
            while (port == 0 && await process.StandardOutput.ReadLineAsync(deadline.Token) is { } line)
            {
                if (FingerprintLine().Match(line) is { Success: true } f)
                {
                    fingerprint = f.Groups[1].Value;
                }

                if (ListeningLine().Match(line) is { Success: true } l)
                {
                    port = int.Parse(l.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
                }
            }

            Assert.NotNull(fingerprint);
            Assert.InRange(port, 1, 65535);
            using var handler = new SocketsHttpHandler();
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null
                && string.Join(':', Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(certificate.GetRawCertData())).Chunk(2).Select(c => new string(c))) == fingerprint;
            using var client = new HttpClient(handler) { Timeout = TestTimeouts.Default };
            Assert.Equal("ws-server 0.1.0 OK\n", await client.GetStringAsync(new Uri($"https://127.0.0.1:{port}/healthz")));
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().WaitAsync(TestTimeouts.Default);
            Directory.Delete(directory, recursive: true);
        }
    }

    [GeneratedRegex(@"Listening on https://127\.0\.0\.1:(\d+)$")]
    private static partial Regex ListeningLine();

    [GeneratedRegex(@"Certificate SHA-256 fingerprint: ([0-9A-F:]{95})$")]
    private static partial Regex FingerprintLine();

    private static Process Start(params string[] args)
    {
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ws-server.dll"));
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return Process.Start(info) ?? throw new InvalidOperationException("ws-server did not start.");
    }
}
