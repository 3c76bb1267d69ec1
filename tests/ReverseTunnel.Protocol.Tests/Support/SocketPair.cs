using System.Net;
using System.Net.Sockets;

namespace ReverseTunnel.Protocol.Tests.Support;

/// <summary>Two connected loopback TCP sockets (a real kernel connection, port 0).</summary>
internal static class SocketPair
{
    public static async Task<(Socket Client, Socket Server)> CreateAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Task<Socket> accept = listener.AcceptAsync();
        await client.ConnectAsync(listener.LocalEndPoint!);
        Socket server = await accept;
        server.NoDelay = true;
        return (client, server);
    }
}
