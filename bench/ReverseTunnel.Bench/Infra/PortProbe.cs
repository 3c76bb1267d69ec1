using System.Net;
using System.Net.Sockets;

namespace ReverseTunnel.Bench.Infra;

/// <summary>Polls a loopback port until it accepts a connection, within a deadline.</summary>
internal static class PortProbe
{
    /// <param name="diagnostics">Output to show on failure.</param>
    /// <param name="fatal">Returns why waiting is pointless (a process died), or null to go on.</param>
    public static async Task WaitUntilAcceptingAsync(int port, TimeSpan timeout, string what, Func<string>? diagnostics = null, Func<string?>? fatal = null)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            if (fatal?.Invoke() is { } reason)
            {
                throw new InvalidOperationException($"{what}: {reason}{(diagnostics is null ? "" : "\n" + diagnostics())}");
            }

            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            using var attempt = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), attempt.Token);
                return;
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                last = e;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"{what}: 127.0.0.1:{port} accepted no connection within {timeout.TotalSeconds:0} s ({last?.Message}).{(diagnostics is null ? "" : "\n" + diagnostics())}");
    }
}
