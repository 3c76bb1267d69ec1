using System.Net;
using System.Net.Sockets;

namespace ReverseTunnel.Server.Tests.Infrastructure;

/// <summary>A port the OS just handed out and released: free for a tunnel, never a fixed number.</summary>
internal static class FreePort
{
    public static int Next()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
