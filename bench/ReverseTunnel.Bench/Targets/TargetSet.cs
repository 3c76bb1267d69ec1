using ReverseTunnel.Bench.Infra;
using ReverseTunnel.EndToEnd.Tests.Harness;

namespace ReverseTunnel.Bench.Targets;

internal enum TargetKind
{
    Iperf,
    Http,
    Echo,
}

/// <summary>The three target services, started once per run on free loopback ports.</summary>
internal sealed class TargetSet : IAsyncDisposable
{
    private readonly string _directory;
    private IperfTarget? _iperf;
    private ToolProcess? _nginx;
    private ChildProcess? _echo;

    private TargetSet(string directory) => _directory = directory;

    public IReadOnlyDictionary<TargetKind, int> Ports { get; private set; } = new Dictionary<TargetKind, int>();

    public IperfTarget Iperf => _iperf ?? throw new InvalidOperationException("iperf3 -s is not running");

    public static async Task<TargetSet> StartAsync()
    {
        var set = new TargetSet(Directory.CreateTempSubdirectory("tunnel-bench-targets-").FullName);
        try
        {
            int iperfPort = FreePort.Next();
            set._iperf = await IperfTarget.StartAsync(iperfPort);
            int httpPort = FreePort.Next();
            set._nginx = await NginxTarget.StartAsync(set._directory, httpPort);
            (set._echo, int echoPort) = await EchoTarget.StartAsync();
            set.Ports = new Dictionary<TargetKind, int>
            {
                [TargetKind.Iperf] = iperfPort,
                [TargetKind.Http] = httpPort,
                [TargetKind.Echo] = echoPort,
            };
            return set;
        }
        catch
        {
            await set.DisposeAsync();
            throw;
        }
    }

    /// <summary>An iperf3 server left in a bad state by a failed test is replaced on the same port.</summary>
    public async Task RestartIperfAsync()
    {
        if (_iperf is not null)
        {
            await _iperf.DisposeAsync();
        }

        _iperf = await IperfTarget.StartAsync(Ports[TargetKind.Iperf]);
    }

    public async ValueTask DisposeAsync()
    {
        if (_iperf is not null)
        {
            await _iperf.DisposeAsync();
        }

        if (_nginx is not null)
        {
            await _nginx.DisposeAsync();
        }

        if (_echo is not null)
        {
            Cleanup.Unregister(_echo.Id);
            await _echo.DisposeAsync();
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
