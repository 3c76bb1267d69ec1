using System.Diagnostics;

namespace ReverseTunnel.Protocol.Tests.Support;

/// <summary>Runs a probe of <see cref="ProbeProgram"/> in a child process with inline socket completions (on one engine thread unless told).</summary>
internal static class ProbeProcess
{
    public static async Task<string> RunAsync(string probe, int engineThreads = 1)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(typeof(ProbeProgram).Assembly.Location);
        start.ArgumentList.Add("probe");
        start.ArgumentList.Add(probe);
        start.Environment["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"] = "1";
        start.Environment["DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT"] = engineThreads.ToString(System.Globalization.CultureInfo.InvariantCulture);

        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        try
        {
            // Longer than the probe's own timeout, so that a hung probe reports itself (on stderr).
            await process.WaitForExitAsync().WaitAsync(TestTimeout.Value + TimeSpan.FromSeconds(15));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"probe {probe} did not finish: {await stderr}");
        }

        string output = (await stdout).Trim();
        Assert.True(process.ExitCode == 0, $"probe {probe} exited with {process.ExitCode}: {await stderr}{output}");
        return output;
    }
}
