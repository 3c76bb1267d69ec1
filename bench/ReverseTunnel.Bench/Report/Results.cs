using ReverseTunnel.Bench.Paths;

namespace ReverseTunnel.Bench.Report;

/// <summary>Median and spread of a figure on one path over the repetitions.</summary>
internal sealed record Summary(double Median, double Min, double Max, int Count);

/// <summary>All samples of a run (one per repetition), the failures and the notes.</summary>
internal sealed class Results
{
    private readonly Dictionary<(Figure, PathKind), List<double>> _samples = [];
    private readonly HashSet<(Figure, PathKind)> _failed = [];
    private readonly List<string> _failures = [];
    private readonly List<string> _notes = [];
    private readonly Lock _lock = new();

    public IReadOnlyList<string> Failures => _failures;

    public IReadOnlyList<string> Notes => _notes;

    public void Add(Figure figure, PathKind path, double value)
    {
        lock (_lock)
        {
            if (!_samples.TryGetValue((figure, path), out List<double>? list))
            {
                _samples[(figure, path)] = list = [];
            }

            list.Add(value);
        }
    }

    public void Fail(Figure figure, PathKind path, string message)
    {
        lock (_lock)
        {
            _failed.Add((figure, path));
            _failures.Add($"{FigureCatalog.Get(figure).Title}, {path.Label()}: {message}");
        }
    }

    public void Note(string note)
    {
        lock (_lock)
        {
            _notes.Add(note);
        }
    }

    public bool HasFailed(Figure figure, PathKind path) => _failed.Contains((figure, path));

    public Summary? Summarize(Figure figure, PathKind path)
    {
        if (!_samples.TryGetValue((figure, path), out List<double>? list) || list.Count == 0)
        {
            return null;
        }

        double[] sorted = [.. list.Order()];
        int n = sorted.Length;
        double median = n % 2 == 1 ? sorted[n / 2] : (sorted[(n / 2) - 1] + sorted[n / 2]) / 2;
        return new Summary(median, sorted[0], sorted[^1], n);
    }

    public double? Median(Figure figure, PathKind path) => Summarize(figure, path)?.Median;
}
