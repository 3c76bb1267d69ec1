using System.Diagnostics;

namespace ReverseTunnel.Bench.Infra;

/// <summary>
/// Managed stacks of a live .NET process (dotnet-stack, installed by bench/run.sh into bench/.tools),
/// so that a measurement that hangs leaves evidence of where each thread waits.
/// </summary>
internal static class StackDump
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>The stacks of <paramref name="pid"/>, or a line saying why there are none.</summary>
    public static async Task<string> CaptureAsync(int pid)
    {
        string? tool = Find();
        if (tool is null)
        {
            return "(no stacks: dotnet-stack not found; bench/run.sh installs it into bench/.tools)";
        }

        try
        {
            using var process = Process.Start(new ProcessStartInfo(tool, ["report", "-p", pid.ToString()])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            Task<string> output = process.StandardOutput.ReadToEndAsync();
            Task<string> errors = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(Timeout);
            await process.WaitForExitAsync(timeout.Token);
            return await output + await errors;
        }
        catch (Exception e) when (e is OperationCanceledException or System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return $"(no stacks: {e.Message})";
        }
    }

    /// <summary>Only the threads that run this project's code, which is where a hang of ours shows.</summary>
    public static string OurThreads(string report) =>
        string.Join('\n', report.Split("\nThread (")
            .Where(t => t.Contains("ReverseTunnel.", StringComparison.Ordinal))
            .Select(t => (t.StartsWith("Thread (", StringComparison.Ordinal) ? t : "Thread (" + t).TrimEnd()));

    private static string? Find()
    {
        string[] candidates =
        [
            Path.Combine(AppContext.BaseDirectory, "../../../../.tools/dotnet-stack"),
            Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dotnet/tools/dotnet-stack"),
        ];
        return candidates.Select(Path.GetFullPath).FirstOrDefault(File.Exists);
    }
}
