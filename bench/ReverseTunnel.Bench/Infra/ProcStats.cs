using System.Diagnostics;
using System.Globalization;

namespace ReverseTunnel.Bench.Infra;

/// <summary>RSS and CPU time of processes, read from /proc.</summary>
internal static class ProcStats
{
    private static readonly Lazy<int> TicksPerSecond = new(ReadClockTicks);

    /// <summary>VmRSS of a process in bytes (0 if it is gone).</summary>
    public static long RssBytes(int pid)
    {
        try
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    string kb = line["VmRSS:".Length..].Trim().Split(' ')[0];
                    return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
        }

        return 0;
    }

    /// <summary>utime + stime of a process (all its threads), in seconds.</summary>
    public static double CpuSeconds(int pid)
    {
        string[]? fields = StatFields(pid);
        if (fields is null)
        {
            return 0;
        }

        // Fields after the command name: [0] state (field 3), [1] ppid, … [11] utime (field 14), [12] stime.
        long ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return ticks / (double)TicksPerSecond.Value;
    }

    /// <summary>
    /// Clock ticks of all CPUs together since boot, from the first line of /proc/stat: busy (user,
    /// nice, system, irq, softirq, steal), of that the kernel's part (system, irq, softirq), and in
    /// total (idle and iowait added).
    /// </summary>
    public static MachineTicks ReadMachineTicks()
    {
        string line = File.ReadLines("/proc/stat").First();
        long[] t = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8)
            .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        long idle = t[3] + t[4];
        long kernel = t[2] + t[5] + t[6];
        long busy = t[0] + t[1] + kernel + t[7];
        return new MachineTicks(busy, kernel, busy + idle);
    }

    /// <summary>Clock ticks (USER_HZ) in seconds.</summary>
    public static double TicksToSeconds(long ticks) => ticks / (double)TicksPerSecond.Value;

    /// <summary>The process and all its live descendants, parents before children.</summary>
    public static IReadOnlyList<int> Descendants(int root)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), out int pid) && StatFields(pid) is { } fields)
            {
                int ppid = int.Parse(fields[1], CultureInfo.InvariantCulture);
                if (!children.TryGetValue(ppid, out List<int>? list))
                {
                    children[ppid] = list = [];
                }

                list.Add(pid);
            }
        }

        var result = new List<int> { root };
        for (int i = 0; i < result.Count; i++)
        {
            if (children.TryGetValue(result[i], out List<int>? list))
            {
                result.AddRange(list);
            }
        }

        return result;
    }

    private static string[]? StatFields(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            int end = stat.LastIndexOf(')');
            return stat[(end + 2)..].Split(' ');
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static int ReadClockTicks()
    {
        using var getconf = Process.Start(new ProcessStartInfo("getconf", "CLK_TCK") { RedirectStandardOutput = true })!;
        string text = getconf.StandardOutput.ReadToEnd().Trim();
        getconf.WaitForExit(5_000);
        return int.TryParse(text, out int ticks) && ticks > 0 ? ticks : 100;
    }
}
