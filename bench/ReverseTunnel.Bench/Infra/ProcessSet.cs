namespace ReverseTunnel.Bench.Infra;

/// <summary>
/// The processes that make up one side of a path (ws-server; ws-agent; sshd with its session
/// children; the ssh client), resolved afresh at every reading since sshd forks per session.
/// </summary>
internal sealed class ProcessSet(string name, Func<IReadOnlyList<int>> pids)
{
    public static readonly ProcessSet None = new("none", () => []);

    public string Name { get; } = name;

    public static ProcessSet Single(string name, int pid) => new(name, () => [pid]);

    public static ProcessSet Tree(string name, int root) => new(name, () => ProcStats.Descendants(root));

    public static ProcessSet Combine(string name, params ProcessSet[] sets) =>
        new(name, () => sets.SelectMany(s => s.Pids()).Distinct().ToList());

    public IReadOnlyList<int> Pids() => pids();

    public long RssBytes() => Pids().Sum(ProcStats.RssBytes);

    public double CpuSeconds() => Pids().Sum(ProcStats.CpuSeconds);
}
