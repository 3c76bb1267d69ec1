using System.Text.RegularExpressions;

namespace ReverseTunnel.Reliability.Tests.Harness;

/// <summary>
/// What a process's file descriptors point at, by kind (<c>socket</c>, <c>pipe</c>,
/// <c>anon_inode:[eventfd]</c>, or the file's path): tells which kind a leak is of.
/// </summary>
internal static partial class FdInventory
{
    public static IReadOnlyDictionary<string, int> Read(int pid)
    {
        var kinds = new Dictionary<string, int>();
        try
        {
            foreach (string fd in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
            {
                string? target;
                try
                {
                    target = new FileInfo(fd).LinkTarget;
                }
                catch (IOException)
                {
                    continue;
                }

                string kind = target is null ? "?" : Inode().Replace(target, "");
                kinds[kind] = kinds.GetValueOrDefault(kind) + 1;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }

        return kinds;
    }

    /// <summary>The kinds that grew from <paramref name="before"/> to <paramref name="after"/>, as "kind +n".</summary>
    public static string Growth(IReadOnlyDictionary<string, int> before, IReadOnlyDictionary<string, int> after) =>
        string.Join(", ", after
            .Select(kv => (kv.Key, Delta: kv.Value - before.GetValueOrDefault(kv.Key)))
            .Where(x => x.Delta != 0)
            .OrderByDescending(x => x.Delta)
            .Select(x => $"{x.Key} {x.Delta:+#;-#}"));

    [GeneratedRegex(@":\[\d+\]$")]
    private static partial Regex Inode();
}
