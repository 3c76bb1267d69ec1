using System.Diagnostics;
using System.Globalization;

namespace ReverseTunnel.Soak;

/// <summary>
/// <c>dotnet-counters collect</c> on one process (System.Runtime, CSV), and its GC heap size
/// series: the sum over generations of <c>dotnet.gc.last_collection.heap.size</c>, i.e. the
/// managed heap as the last collection left it.
/// </summary>
internal sealed class CountersSession(string name, string csvPath, Process process)
{
    private const string HeapCounter = "dotnet.gc.last_collection.heap.size";

    public string Name { get; } = name;

    /// <summary>
    /// Starts collecting for <paramref name="duration"/>: the tool then stops by itself and writes
    /// its file out (stopped by a signal it may lose the last rows; it takes no 'q' from a pipe).
    /// </summary>
    public static CountersSession Start(string tool, string name, int pid, TimeSpan interval, TimeSpan duration, string directory)
    {
        string csv = Path.Combine(directory, $"counters-{name}.csv");
        var info = new ProcessStartInfo(tool)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { "collect", "-p", pid.ToString(CultureInfo.InvariantCulture), "--counters", "System.Runtime", "--format", "csv", "-o", csv, "--refresh-interval", ((int)interval.TotalSeconds).ToString(CultureInfo.InvariantCulture),
            "--duration", $"{duration.Days:00}:{duration.Hours:00}:{duration.Minutes:00}:{duration.Seconds:00}" })
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {tool}");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            if (!string.IsNullOrWhiteSpace(e.Data))
            {
                Console.Error.WriteLine($"[dotnet-counters {name}] {e.Data}");
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new CountersSession(name, csv, process);
    }

    /// <summary>Waits for the tool to finish its duration (and write its file); kills it after <paramref name="grace"/>.</summary>
    public async Task WaitAsync(TimeSpan grace)
    {
        try
        {
            await process.WaitForExitAsync().WaitAsync(grace);
        }
        catch (TimeoutException)
        {
            Console.Error.WriteLine($"[dotnet-counters {Name}] still running after its duration; killed (its last rows may be missing).");
            process.Kill();
        }
    }

    /// <summary>(UTC time, heap MiB) from the file, in order.</summary>
    public IReadOnlyList<(DateTime Utc, double HeapMiB)> ReadHeap()
    {
        if (!File.Exists(csvPath))
        {
            Console.Error.WriteLine($"[dotnet-counters {Name}] wrote no {csvPath}: the GC heap column stays empty.");
            return [];
        }

        var sums = new SortedDictionary<DateTime, double>();
        foreach (string line in File.ReadLines(csvPath).Skip(1))
        {
            string[] fields = line.Split(',');
            if (fields.Length < 5 || !fields[2].StartsWith(HeapCounter, StringComparison.Ordinal)
                || !double.TryParse(fields[4], NumberStyles.Float, CultureInfo.InvariantCulture, out double bytes)
                || !DateTime.TryParse(fields[0], CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal, out DateTime local))
            {
                continue;
            }

            DateTime utc = local.ToUniversalTime();
            sums[utc] = sums.GetValueOrDefault(utc) + (bytes / 1024 / 1024);
        }

        return [.. sums.Select(kv => (kv.Key, kv.Value))];
    }
}
