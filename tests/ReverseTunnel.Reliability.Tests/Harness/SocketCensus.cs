using System.Globalization;

namespace ReverseTunnel.Reliability.Tests.Harness;

/// <summary>
/// Counts TCP sockets on this machine from /proc/net/tcp: the server's side of tunnel connections
/// (local port = a tunnel port) and the agents' connections to their targets (remote port = a
/// target port). Only ESTABLISHED and CLOSE_WAIT count: a socket in
/// any other state (FIN_WAIT, LAST_ACK, TIME_WAIT) has been closed by its process and is the
/// kernel's to finish; a CLOSE_WAIT that stays is the classic leak (the peer closed, we never did).
/// </summary>
internal static class SocketCensus
{
    private const string Established = "01";
    private const string CloseWait = "08";

    /// <summary>Sockets whose local port is one of <paramref name="localPorts"/>.</summary>
    public static int WithLocalPort(IReadOnlyCollection<int> localPorts) => Count((local, _) => localPorts.Contains(local));

    /// <summary>Sockets whose remote port is one of <paramref name="remotePorts"/>.</summary>
    public static int WithRemotePort(IReadOnlyCollection<int> remotePorts) => Count((_, remote) => remotePorts.Contains(remote));

    private static int Count(Func<int, int, bool> match)
    {
        int count = 0;
        foreach (string file in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(file))
            {
                continue;
            }

            foreach (string line in File.ReadLines(file).Skip(1))
            {
                string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length < 4 || fields[3] is not (Established or CloseWait))
                {
                    continue;
                }

                if (match(Port(fields[1]), Port(fields[2])))
                {
                    count++;
                }
            }
        }

        return count;
    }

    private static int Port(string address) => int.Parse(address[(address.IndexOf(':', StringComparison.Ordinal) + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}
