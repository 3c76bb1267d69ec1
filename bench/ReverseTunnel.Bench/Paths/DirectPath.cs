using ReverseTunnel.Bench.Infra;
using ReverseTunnel.Bench.Targets;

namespace ReverseTunnel.Bench.Paths;

/// <summary>No tunnel: the client connects to the target itself (the physical limit).</summary>
internal sealed class DirectPath(IReadOnlyDictionary<TargetKind, int> targets) : IForwardingPath
{
    public PathKind Kind => PathKind.Direct;

    public ProcessSet ServerSide => ProcessSet.None;

    public int PortFor(TargetKind target) => targets[target];

    public ProcessSet AgentSide(TargetKind target) => ProcessSet.None;

    public void EnsureAlive()
    {
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
