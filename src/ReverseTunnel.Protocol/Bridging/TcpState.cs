using System.Net.Sockets;

namespace ReverseTunnel.Protocol.Bridging;

/// <summary>
/// Reads the kernel's view of a TCP connection. Needed because Linux reports a reset (RST) to one
/// system call only: if a send consumed it, the next receive returns 0 as if the peer had sent FIN.
/// </summary>
internal static class TcpState
{
    // From <netinet/tcp.h>: IPPROTO_TCP, TCP_INFO, and TCP_CLOSE for tcpi_state (its first octet).
    private const int IpProtoTcp = 6;
    private const int TcpInfo = 11;
    private const byte TcpClose = 7;

    /// <summary>
    /// True when the connection is in TCP_CLOSE although this side has not sent FIN: the state a
    /// reset leaves behind. A clean FIN leaves CLOSE_WAIT instead. Always false off Linux.
    /// </summary>
    public static bool WasReset(Socket socket)
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            Span<byte> info = stackalloc byte[8];
            return socket.GetRawSocketOption(IpProtoTcp, TcpInfo, info) >= 1 && info[0] == TcpClose;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or PlatformNotSupportedException)
        {
            return false;
        }
    }
}
