namespace ReverseTunnel.Bench;

/// <summary>What one run measures and for how long; <c>--smoke</c> shrinks everything for CI.</summary>
internal sealed record BenchOptions
{
    public const string Usage = "usage: ReverseTunnel.Bench [--smoke] [--reps N] [--out DIR]";

    public bool Smoke { get; init; }

    public int Reps { get; init; } = 3;

    /// <summary>Where benchmarks.md and benchmarks.svg go: docs/ in full mode, a temp dir in smoke mode.</summary>
    public required string OutputDirectory { get; init; }

    public required string RepositoryRoot { get; init; }

    public int IperfSeconds => Smoke ? 2 : 8;

    public int WrkSeconds => Smoke ? 1 : 8;

    public int PingWarmup => Smoke ? 200 : 1_000;

    public int PingRoundTrips => Smoke ? 1_000 : 5_000;

    public int IdleConnections => Smoke ? 1_000 : 10_000;

    public int IdleBatch => Smoke ? 250 : 1_000;

    /// <summary>Connections a batch opens at once (a client with this many connects in flight).</summary>
    public int IdleParallelism => 100;

    public TimeSpan Settle => TimeSpan.FromSeconds(Smoke ? 1 : 2);

    public static BenchOptions Parse(string[] args)
    {
        bool smoke = false;
        int? reps = null;
        string? output = null;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--smoke":
                    smoke = true;
                    break;
                case "--reps" when i + 1 < args.Length && int.TryParse(args[i + 1], out int n) && n >= 1:
                    reps = n;
                    i++;
                    break;
                case "--out" when i + 1 < args.Length:
                    output = Path.GetFullPath(args[++i]);
                    break;
                default:
                    throw new ArgumentException($"unknown or incomplete argument: {args[i]}");
            }
        }

        string root = FindRepositoryRoot();
        output ??= smoke ? Directory.CreateTempSubdirectory("tunnel-bench-smoke-").FullName : Path.Combine(root, "docs");
        return new BenchOptions
        {
            Smoke = smoke,
            Reps = reps ?? (smoke ? 1 : 3),
            OutputDirectory = output,
            RepositoryRoot = root,
        };
    }

    private static string FindRepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ReverseTunnel.slnx")))
            {
                return dir.FullName;
            }
        }

        return Directory.GetCurrentDirectory();
    }
}
