namespace ReverseTunnel.Reliability.Tests.Harness;

/// <summary>
/// What one process holds, read from /proc: open file descriptors other than code files, threads and
/// resident memory (KiB). Descriptors of assemblies, symbol files and native libraries
/// (<see cref="ModuleFds"/>) are counted apart: the runtime opens them once, when it first needs
/// them (the first exception logged with its stack trace loads System.Diagnostics.StackTrace and
/// the .pdb files), and never per connection.
/// </summary>
internal readonly record struct ProcessResources(int Fds, int ModuleFds, int Threads, long RssKiB)
{
    public static ProcessResources Read(int pid)
    {
        try
        {
            int fds = 0;
            int modules = 0;
            foreach (string fd in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
            {
                if (IsModule(fd))
                {
                    modules++;
                }
                else
                {
                    fds++;
                }
            }

            int threads = 0;
            long rss = 0;
            foreach (string line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("Threads:", StringComparison.Ordinal))
                {
                    threads = int.Parse(line["Threads:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
                }
                else if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    rss = long.Parse(line["VmRSS:".Length..].Replace("kB", "", StringComparison.Ordinal).Trim(), System.Globalization.CultureInfo.InvariantCulture);
                }
            }

            return new ProcessResources(fds, modules, threads, rss);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The process is gone.
            return new ProcessResources(-1, -1, -1, -1);
        }
    }

    private static bool IsModule(string fd)
    {
        try
        {
            string? target = new FileInfo(fd).LinkTarget;
            return target is not null && (target.EndsWith(".dll", StringComparison.Ordinal) || target.EndsWith(".pdb", StringComparison.Ordinal) || target.Contains(".so", StringComparison.Ordinal));
        }
        catch (IOException)
        {
            return false;
        }
    }

    public override string ToString() => $"{Fds} fds (+{ModuleFds} code files), {Threads} threads, {RssKiB / 1024.0:F0} MiB RSS";
}
