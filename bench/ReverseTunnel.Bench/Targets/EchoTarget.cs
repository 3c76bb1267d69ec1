using ReverseTunnel.Bench.Infra;
using ReverseTunnel.EndToEnd.Tests.Harness;

namespace ReverseTunnel.Bench.Targets;

/// <summary>Starts the C# echo server (this same assembly, <c>echo-server</c> mode) in a child process.</summary>
internal static class EchoTarget
{
    public static async Task<(ChildProcess Process, int Port)> StartAsync()
    {
        string self = typeof(EchoTarget).Assembly.Location;
        ChildProcess echo = Cleanup.Start("echo", () => ChildProcess.Start("echo", self, [EchoServer.Command]), p => p.Id);
        int port = int.Parse((await echo.WaitForLineAsync(@"Echo listening on (\d+)", TimeSpan.FromSeconds(30))).Groups[1].Value);
        return (echo, port);
    }
}
