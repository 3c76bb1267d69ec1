using System.Net;
using System.Net.Sockets;

namespace ReverseTunnel.Server.Tunnels;

/// <summary>Creates the listening sockets of tunnel ports.</summary>
internal static class ListenSocketFactory
{
    private const int Backlog = 512;

    /// <summary>
    /// True where accepted connections inherit TCP_NODELAY and SO_LINGER from the listening socket
    /// (Linux copies the listener's socket state into each connection it accepts), so that
    /// <see cref="Listen"/> sets them once instead of two system calls per connection. Each costs
    /// 1-1.3 µs on the 2-core VM the benchmarks run on, where a new connection costs ws-server
    /// about 110 µs of CPU in all.
    /// </summary>
    public static bool AcceptedSocketsInheritOptions => OperatingSystem.IsLinux();

    /// <summary>
    /// Binds and listens on <paramref name="address"/>:<paramref name="port"/>. Where
    /// <see cref="AcceptedSocketsInheritOptions"/>, the connections it accepts already have
    /// TCP_NODELAY on and close with RST (SO_LINGER 0).
    /// </summary>
    /// <exception cref="SocketException">The port cannot be bound (in use by another program, no permission).</exception>
    public static Socket Listen(IPAddress address, int port)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            AllowRebindAfterClose(socket);
            if (address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            if (AcceptedSocketsInheritOptions)
            {
                // Every connection forwards small writes at once, and closes with RST unless the
                // bridge ends it cleanly (see SocketBridge): set here, inherited by each accept.
                socket.NoDelay = true;
                socket.LingerState = new LingerOption(true, 0);
            }

            socket.Bind(new IPEndPoint(address, port));
            socket.Listen(Backlog);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Lets a port be bound again while connections of a closed listener linger in TIME_WAIT, so a
    /// client that reconnects gets its port back at once.
    /// </summary>
    /// <remarks>
    /// Not <see cref="SocketOptionName.ReuseAddress"/>: on Unix .NET maps it to SO_REUSEADDR plus
    /// SO_REUSEPORT, which lets a second socket bind the very same port and steal half its
    /// connections. Plain SO_REUSEADDR only forgives TIME_WAIT. On Windows, where SO_REUSEADDR would
    /// allow hijacking, exclusive use is asked for instead (Windows has no such TIME_WAIT problem).
    /// </remarks>
    private static void AllowRebindAfterClose(Socket socket)
    {
        if (OperatingSystem.IsWindows())
        {
            socket.ExclusiveAddressUse = true;
        }
        else if (OperatingSystem.IsLinux())
        {
            const int SolSocket = 1, SoReuseAddr = 2;
            socket.SetRawSocketOption(SolSocket, SoReuseAddr, BitConverter.GetBytes(1));
        }
        else if (OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD())
        {
            const int SolSocket = 0xffff, SoReuseAddr = 0x4;
            socket.SetRawSocketOption(SolSocket, SoReuseAddr, BitConverter.GetBytes(1));
        }
    }
}
