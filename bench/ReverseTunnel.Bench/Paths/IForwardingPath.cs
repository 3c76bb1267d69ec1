using ReverseTunnel.Bench.Infra;
using ReverseTunnel.Bench.Targets;

namespace ReverseTunnel.Bench.Paths;

/// <summary>One way from the client (always 127.0.0.1) to the targets.</summary>
internal interface IForwardingPath : IAsyncDisposable
{
    PathKind Kind { get; }

    /// <summary>The port the client connects to for <paramref name="target"/>.</summary>
    int PortFor(TargetKind target);

    /// <summary>The platform side (ws-server; sshd with its session processes); empty for direct.</summary>
    ProcessSet ServerSide { get; }

    /// <summary>The customer side carrying <paramref name="target"/> (its ws-agent; the ssh client); empty for direct.</summary>
    ProcessSet AgentSide(TargetKind target);

    /// <summary>Throws, with the process's output, if a process of the path has died.</summary>
    void EnsureAlive();

    /// <summary>
    /// After a failed measurement: writes what may explain it (process output, thread stacks) into
    /// <paramref name="directory"/> and returns a short excerpt for the console, or null if the path has nothing to say.
    /// </summary>
    Task<string?> SaveDiagnosticsAsync(string directory) => Task.FromResult<string?>(null);
}
