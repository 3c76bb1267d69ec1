using ReverseTunnel.Bench.Infra;
using ReverseTunnel.Bench.Targets;
using ReverseTunnel.EndToEnd.Tests.Harness;

namespace ReverseTunnel.Bench.Paths;

/// <summary>
/// OpenSSH remote forwarding with its default cipher: one sshd and one ssh client per mode, the
/// client holding one <c>-R 127.0.0.1:FWD:127.0.0.1:TARGET</c> per target. <c>ssh -N</c> opens no
/// session (sshd never sets TCP_NODELAY then); <c>ssh -tt … exec sleep infinity</c> runs an
/// interactive one, its stdin a pipe the bench keeps open.
/// </summary>
internal sealed class SshPath : IForwardingPath
{
    private readonly SshDaemon _daemon;
    private readonly Dictionary<TargetKind, int> _forwards;
    private ToolProcess? _client;

    private SshPath(PathKind kind, SshDaemon daemon, Dictionary<TargetKind, int> forwards)
    {
        Kind = kind;
        _daemon = daemon;
        _forwards = forwards;
        ServerSide = ProcessSet.Tree("sshd", daemon.Process.Id);
    }

    public PathKind Kind { get; }

    public ProcessSet ServerSide { get; }

    /// <param name="clientDialPort">Maps sshd's port to the one the ssh client dials (a <see cref="DelayRelay"/>'s); none = sshd's own.</param>
    public static async Task<SshPath> StartAsync(PathKind kind, IReadOnlyDictionary<TargetKind, int> targets, Func<int, int>? clientDialPort = null)
    {
        bool tty = kind == PathKind.SshTt;
        SshDaemon daemon = await SshDaemon.StartAsync(tty ? "sshd-tt" : "sshd-n");
        var path = new SshPath(kind, daemon, targets.Keys.ToDictionary(t => t, _ => FreePort.Next()));
        try
        {
            var args = new List<string>
            {
                tty ? "-tt" : "-N",
                "-F", "/dev/null", "-i", daemon.UserKey,
                "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "ExitOnForwardFailure=yes", "-o", "LogLevel=ERROR",
                "-p", (clientDialPort?.Invoke(daemon.Port) ?? daemon.Port).ToString(),
            };
            foreach ((TargetKind target, int forward) in path._forwards)
            {
                args.AddRange(["-R", $"127.0.0.1:{forward}:127.0.0.1:{targets[target]}"]);
            }

            args.Add("root@127.0.0.1");
            if (tty)
            {
                args.AddRange(["exec", "sleep", "infinity"]);
            }

            path._client = ToolProcess.Start(kind.Label(), "ssh", args, daemon.Directory);
            foreach ((TargetKind target, int forward) in path._forwards)
            {
                await PortProbe.WaitUntilAcceptingAsync(forward, TimeSpan.FromSeconds(30), $"{kind.Label()} forward for {target}",
                    () => $"ssh:\n{path._client.Output}\nsshd:\n{daemon.Process.Output}", () => path.DeathNotice());
            }

            return path;
        }
        catch
        {
            await path.DisposeAsync();
            throw;
        }
    }

    public int PortFor(TargetKind target) => _forwards[target];

    public ProcessSet AgentSide(TargetKind target) => _client is null ? ProcessSet.None : ProcessSet.Single("ssh", _client.Id);

    public void EnsureAlive()
    {
        if (DeathNotice() is { } notice)
        {
            throw new InvalidOperationException($"{Kind.Label()}: {notice}\nssh output:\n{_client?.Output}\nsshd output:\n{_daemon.Process.Output}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            await _client.DisposeAsync();
        }

        await _daemon.DisposeAsync();
    }

    private string? DeathNotice() =>
        _client is { HasExited: true } ? $"ssh exited with code {_client.Exited.Result}"
        : _daemon.Process.HasExited ? $"sshd exited with code {_daemon.Process.Exited.Result}"
        : null;
}
