using System.Net;
using System.Net.Sockets;

namespace ReverseTunnel.EndToEnd.Tests.Harness;

/// <summary>
/// A TCP port number that was free a moment ago: bound to port 0, read back, released. The tunnel
/// port must be named before the agent starts, so the port-0 trick cannot be used directly.
/// </summary>
internal static class FreePort
{
    public static int Next()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
