using System.Net;
using System.Net.Sockets;

namespace ReverseTunnel.Bench.Targets;

/// <summary>
/// The TCP echo target (ping-pong and idle connections), run as <c>ReverseTunnel.Bench echo-server</c>
/// in a child process: it prints <c>Echo listening on PORT</c> and echoes every connection until
/// its stdin closes (so it dies with the bench).
/// </summary>
internal static class EchoServer
{
    public const string Command = "echo-server";

    public static async Task<int> RunAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(4096);
        Console.WriteLine($"Echo listening on {((IPEndPoint)listener.LocalEndPoint!).Port}");

        // The parent holds our stdin open; EOF means it is gone.
        Task parentGone = Task.Run(() => Console.In.ReadToEnd());
        Task accepting = AcceptLoopAsync(listener);
        await Task.WhenAny(parentGone, accepting);
        return 0;
    }

    private static async Task AcceptLoopAsync(Socket listener)
    {
        while (true)
        {
            Socket connection = await listener.AcceptAsync();
            connection.NoDelay = true;
            _ = EchoAsync(connection);
        }
    }

    private static async Task EchoAsync(Socket connection)
    {
        byte[] buffer = new byte[2048];
        try
        {
            while (true)
            {
                int n = await connection.ReceiveAsync(buffer, SocketFlags.None);
                if (n == 0)
                {
                    connection.Shutdown(SocketShutdown.Send);
                    return;
                }

                for (int sent = 0; sent < n;)
                {
                    sent += await connection.SendAsync(buffer.AsMemory(sent, n - sent), SocketFlags.None);
                }
            }
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            connection.Dispose();
        }
    }
}
