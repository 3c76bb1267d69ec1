namespace ReverseTunnel.Bench.Paths;

/// <summary>The four ways the client reaches a target, measured side by side.</summary>
internal enum PathKind
{
    Direct,
    Tunnel,
    SshN,
    SshTt,
}

internal static class PathKinds
{
    public static readonly PathKind[] All = [PathKind.Direct, PathKind.Tunnel, PathKind.SshN, PathKind.SshTt];

    public static string Label(this PathKind kind) => kind switch
    {
        PathKind.Direct => "direct",
        PathKind.Tunnel => "tunnel",
        PathKind.SshN => "ssh -N",
        PathKind.SshTt => "ssh -tt",
        _ => kind.ToString(),
    };
}
