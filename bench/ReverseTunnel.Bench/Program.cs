// The side-by-side benchmark of issue 3: direct TCP, the tunnel (real ws-server + ws-agent) and
// OpenSSH remote forwarding (ssh -N and ssh -tt), measured in one run. Start it with bench/run.sh.
using ReverseTunnel.Bench;
using ReverseTunnel.Bench.Infra;
using ReverseTunnel.Bench.Targets;

if (args.Length > 0 && args[0] == EchoServer.Command)
{
    // The echo target runs in a child process of its own: 10,000 client sockets plus 10,000
    // accepted ones would not fit under one process's open-file limit.
    return await EchoServer.RunAsync();
}

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}

using IDisposable signals = Cleanup.InstallSignalHandlers();
try
{
    return await new BenchRunner(options).RunAsync();
}
catch (Exception e)
{
    Console.Error.WriteLine($"bench: FAILED: {e}");
    return 1;
}
finally
{
    Cleanup.KillAll();
}
