namespace ReverseTunnel.Soak;

/// <summary>What a finished soak hands to the report: the samples and the traffic and fault totals.</summary>
internal sealed record SoakRun(
    SoakOptions Options,
    DateTime StartedUtc,
    TimeSpan Elapsed,
    IReadOnlyList<string> Processes,
    IReadOnlyList<Sample> Samples,
    string TrafficSummary,
    long Violations,
    long TransfersCompleted,
    long BytesChecked,
    int Cuts,
    int AgentKills,
    long TruncatedAtTargets,
    long TruncatedDuringAgentKills,
    IReadOnlyDictionary<string, (int Fds, int Threads)> IdleBefore,
    IReadOnlyDictionary<string, (int Fds, int Threads)> IdleAfter);
