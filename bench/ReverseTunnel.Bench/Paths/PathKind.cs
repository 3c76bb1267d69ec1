namespace ReverseTunnel.Bench.Paths;

/// <summary>The ways the client reaches a target, measured side by side; HAProxy is a reference (no TLS).</summary>
internal enum PathKind
{
    Direct,
    Tunnel,
    SshN,
    SshTt,
    Haproxy,
}

internal static class PathKinds
{
    public static readonly PathKind[] All = [PathKind.Direct, PathKind.Tunnel, PathKind.SshN, PathKind.SshTt, PathKind.Haproxy];

    public static string Label(this PathKind kind) => kind switch
    {
        PathKind.Direct => "direct",
        PathKind.Tunnel => "tunnel",
        PathKind.SshN => "ssh -N",
        PathKind.SshTt => "ssh -tt",
        PathKind.Haproxy => "haproxy",
        _ => kind.ToString(),
    };
}
