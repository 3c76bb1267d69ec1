using ReverseTunnel.Bench.Infra;
using ReverseTunnel.Bench.Targets;
using ReverseTunnel.EndToEnd.Tests.Harness;

namespace ReverseTunnel.Bench.Paths;

/// <summary>
/// A reference, not a competitor: Debian's HAProxy in TCP mode, one thread, relaying each port to
/// its target with no encryption and no multiplexing. It is about the least a forwarder written in
/// C can cost on this machine, so it shows how much of a figure any relay leaves, before the
/// tunnel's TLS, its second process and .NET are counted. Its process is counted as the server side.
/// </summary>
internal sealed class HaproxyPath : IForwardingPath
{
    private readonly string _directory;
    private readonly Dictionary<TargetKind, int> _ports;
    private ToolProcess? _process;

    private HaproxyPath(string directory, Dictionary<TargetKind, int> ports, int maxConnections)
    {
        _directory = directory;
        _ports = ports;
        MaxConnections = maxConnections;
    }

    /// <summary>The connections HAProxy accepts at once (its maxconn): two descriptors each must fit the open-file limit.</summary>
    public int MaxConnections { get; }

    public PathKind Kind => PathKind.Haproxy;

    public ProcessSet ServerSide => _process is null ? ProcessSet.None : ProcessSet.Single("haproxy", _process.Id);

    public static async Task<HaproxyPath> StartAsync(IReadOnlyDictionary<TargetKind, int> targets, int wantedConnections)
    {
        // HAProxy refuses to start when maxconn needs more descriptors than the limit allows: it
        // holds two per relayed connection, and keeps 100 for listeners, logs and slack.
        int maxConnections = (int)Math.Min(wantedConnections, (Prerequisites.OpenFileLimit() - 100) / 2);
        string dir = Directory.CreateTempSubdirectory("tunnel-bench-haproxy-").FullName;
        var path = new HaproxyPath(dir, targets.Keys.ToDictionary(t => t, _ => FreePort.Next()), maxConnections);
        try
        {
            // nbthread 1: one event loop, as ws-server, sshd and ssh each have. No timeouts would
            // make HAProxy warn; an hour keeps the idle connections of figure 5 open.
            string listeners = string.Concat(path._ports.Select(p => $"""
                listen {p.Key.ToString().ToLowerInvariant()}
                  bind 127.0.0.1:{p.Value}
                  server target 127.0.0.1:{targets[p.Key]}

                """));
            string config = Path.Combine(dir, "haproxy.cfg");
            File.WriteAllText(config, $"""
                global
                  nbthread 1
                  maxconn {path.MaxConnections}
                defaults
                  mode tcp
                  timeout connect 10s
                  timeout client 1h
                  timeout server 1h
                {listeners}
                """);
            path._process = ToolProcess.Start("haproxy", "/usr/sbin/haproxy", ["-db", "-f", config], dir);
            foreach ((TargetKind target, int port) in path._ports)
            {
                await PortProbe.WaitUntilAcceptingAsync(port, TimeSpan.FromSeconds(30), $"haproxy listener for {target}",
                    () => $"haproxy:\n{path._process.Output}", () => path.DeathNotice());
            }

            return path;
        }
        catch
        {
            await path.DisposeAsync();
            throw;
        }
    }

    public int PortFor(TargetKind target) => _ports[target];

    public ProcessSet AgentSide(TargetKind target) => ProcessSet.None;

    public void EnsureAlive()
    {
        if (DeathNotice() is { } notice)
        {
            throw new InvalidOperationException($"haproxy: {notice}\noutput:\n{_process?.Output}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private string? DeathNotice() => _process is { HasExited: true } ? $"haproxy exited with code {_process.Exited.Result}" : null;
}
