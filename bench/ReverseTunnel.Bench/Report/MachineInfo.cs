using ReverseTunnel.Bench.Infra;

namespace ReverseTunnel.Bench.Report;

/// <summary>The machine a run happened on, as the report states it.</summary>
internal sealed record MachineInfo(string Date, int Cores, string Cpu, string Kernel, string Dotnet, string OpenSsh, string LoadAverage)
{
    public static async Task<MachineInfo> ReadAsync(string repositoryRoot)
    {
        string cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";
        string kernel = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        string load = string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        return new MachineInfo(
            DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'"),
            Environment.ProcessorCount,
            cpu,
            kernel,
            await VersionAsync("dotnet", ["--version"], repositoryRoot),
            await VersionAsync("ssh", ["-V"], repositoryRoot),
            load);
    }

    public string Describe() =>
        $"{Cores} cores ({Cpu}), Linux {Kernel}, .NET SDK {Dotnet}, {OpenSsh}; load average at start {LoadAverage}";

    private static async Task<string> VersionAsync(string file, string[] args, string directory)
    {
        try
        {
            var (_, _, output) = await ToolProcess.RunAsync(file, args, TimeSpan.FromSeconds(30), directory);
            return output.Split('\n').FirstOrDefault(l => l.Trim().Length > 0)?.Trim() ?? "unknown";
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or TimeoutException or InvalidOperationException)
        {
            return "unknown";
        }
    }
}
