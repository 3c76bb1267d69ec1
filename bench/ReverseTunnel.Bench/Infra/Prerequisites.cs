namespace ReverseTunnel.Bench.Infra;

/// <summary>Checks, before anything starts, that the tools are installed and enough files may be open.</summary>
internal static class Prerequisites
{
    private static readonly (string Tool, string Package)[] Tools =
    [
        ("iperf3", "iperf3"),
        ("wrk", "wrk"),
        ("nginx", "nginx-light"),
        ("/usr/sbin/sshd", "openssh-server"),
        ("ssh", "openssh-client"),
        ("ssh-keygen", "openssh-client"),
        ("/usr/sbin/haproxy", "haproxy"),
        ("getconf", "libc-bin"),
    ];

    public static void Check(int idleConnections)
    {
        var missing = Tools.Where(t => !Exists(t.Tool)).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidOperationException(
                $"missing: {string.Join(", ", missing.Select(m => m.Tool))}; install with: apt-get update && apt-get install -y {string.Join(' ', missing.Select(m => m.Package).Distinct())}");
        }

        long limit = OpenFileLimit();
        long needed = idleConnections + 2_000;
        if (limit < needed)
        {
            throw new InvalidOperationException(
                $"the open-file limit is {limit}; {idleConnections} idle connections need at least {needed} per process: run `ulimit -n {needed}` (bench/run.sh raises it)");
        }
    }

    private static bool Exists(string tool) =>
        tool.StartsWith('/') ? File.Exists(tool)
        : (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':').Any(dir => File.Exists(Path.Combine(dir, tool)));

    /// <summary>This process's soft limit of open files, which the processes it starts inherit.</summary>
    public static long OpenFileLimit()
    {
        string? line = File.ReadLines("/proc/self/limits").FirstOrDefault(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        string[] parts = line?["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? [];
        return parts.Length > 0 && long.TryParse(parts[0], out long soft) ? soft : long.MaxValue;
    }
}
