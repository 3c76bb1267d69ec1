using ReverseTunnel.Bench.Paths;
using ReverseTunnel.Bench.Report;
using ReverseTunnel.Bench.Targets;

namespace ReverseTunnel.Bench;

/// <summary>What every figure needs: the options, the targets, where results go, which repetition this is.</summary>
internal sealed class BenchContext(BenchOptions options, TargetSet targets, Results results)
{
    public BenchOptions Options { get; } = options;

    public TargetSet Targets { get; } = targets;

    public Results Results { get; } = results;

    public int Rep { get; set; }

    public void Log(string message) => Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] rep {Rep}: {message}");

    /// <summary>
    /// Starts a path and adds it to <paramref name="paths"/>; if it cannot start, records a failure
    /// for each of <paramref name="figures"/> on it and the bench goes on without it.
    /// </summary>
    public async Task StartPathAsync(List<IForwardingPath> paths, PathKind kind, Func<Task<IForwardingPath>> start, IEnumerable<Figure> figures)
    {
        try
        {
            paths.Add(await start());
        }
        catch (Exception e)
        {
            Log($"FAILED to start {kind.Label()}: {e}");
            foreach (Figure figure in figures)
            {
                Results.Fail(figure, kind, $"rep {Rep}: could not start: {FirstLine(e.Message)}");
            }
        }
    }

    /// <summary>
    /// Runs one measurement; a failure is recorded for <paramref name="figures"/> on the path (with
    /// the path's own diagnostics if one of its processes died) and the bench goes on.
    /// </summary>
    public async Task<bool> MeasureAsync(IForwardingPath path, string what, Func<Task> measure, params Figure[] figures)
    {
        try
        {
            path.EnsureAlive();
            await measure();
            return true;
        }
        catch (Exception e)
        {
            string message = e.Message;
            try
            {
                path.EnsureAlive();
            }
            catch (InvalidOperationException dead)
            {
                message += "\n" + dead.Message;
            }

            Log($"FAILED {what} on {path.Kind.Label()}: {message}");
            string diagnostics = Path.Combine(Path.GetTempPath(), $"tunnel-bench-diagnostics-{Environment.ProcessId}", $"rep{Rep}-{path.Kind}-{Sanitize(what)}");
            if (await path.SaveDiagnosticsAsync(diagnostics) is { } excerpt)
            {
                Log($"diagnostics in {diagnostics}; {excerpt}");
            }

            foreach (Figure figure in figures)
            {
                Results.Fail(figure, path.Kind, $"rep {Rep}: {what}: {FirstLine(message)}");
            }

            return false;
        }
    }

    private static string FirstLine(string text) => text.Split('\n')[0];

    private static string Sanitize(string text) => new(text.Select(c => char.IsLetterOrDigit(c) ? c : '-').ToArray());
}
