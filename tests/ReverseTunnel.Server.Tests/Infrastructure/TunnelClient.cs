using System.Net;
using System.Net.Sockets;

namespace ReverseTunnel.Server.Tests.Infrastructure;

/// <summary>Plays the platform side: a TCP client on a tunnel port.</summary>
internal static class TunnelClient
{
    /// <summary>Connects, sends <paramref name="message"/>, half-closes, and returns everything read back.</summary>
    public static async Task<byte[]> RoundTripAsync(IPAddress address, int port, byte[] message)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(address, port)).WaitAsync(TestTimeouts.Default);
        await socket.SendAsync(message, SocketFlags.None);
        socket.Shutdown(SocketShutdown.Send);
        using var received = new MemoryStream();
        byte[] buffer = new byte[8192];
        while (true)
        {
            int read = await socket.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(TestTimeouts.Default);
            if (read == 0)
            {
                return received.ToArray();
            }

            received.Write(buffer, 0, read);
        }
    }

    /// <summary>
    /// Polls until a connection to the port is refused, within the deadline. A connection accepted
    /// meanwhile (the port not closed yet) must be reset by the server, never left hanging.
    /// </summary>
    public static async Task WaitUntilRefusedAsync(IPAddress address, int port)
    {
        using var deadline = new CancellationTokenSource(TestTimeouts.Default);
        while (true)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, port), deadline.Token);
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
            {
                return;
            }

            // Accepted before the port closed: the server resets it; the read must end, not hang.
            int read = await socket.ReceiveAsync(new byte[1], SocketFlags.None, deadline.Token).AsTask()
                .ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : 0, TaskScheduler.Default);
            Assert.Equal(0, read);
            await Task.Delay(20, deadline.Token); // poll interval, bounded by the deadline
        }
    }
}
