using System.Globalization;

namespace ReverseTunnel.EndToEnd.Tests.Harness;

/// <summary>
/// Octets the kernel holds for TCP sockets on this machine, from /proc/net/tcp (Linux): tx_queue
/// (written by the process, not yet acknowledged by the peer) and rx_queue (received, not yet read
/// by the process). Lets a test tell octets parked in kernel buffers from octets a process buffers.
/// </summary>
internal static class KernelQueues
{
    private const string Established = "01";
    private const string CloseWait = "08";

    public static bool Available => File.Exists("/proc/net/tcp");

    /// <summary>Sum of tx_queue of the sockets whose (local port, remote port) match.</summary>
    public static long Sending(Func<int, int, bool> match) => Sum(match, receive: false);

    /// <summary>Sum of rx_queue of the sockets whose (local port, remote port) match.</summary>
    public static long Receiving(Func<int, int, bool> match) => Sum(match, receive: true);

    private static long Sum(Func<int, int, bool> match, bool receive)
    {
        long total = 0;
        foreach (string file in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(file))
            {
                continue;
            }

            // "sl local_address rem_address st tx_queue:rx_queue ...", addresses and queues in hex.
            foreach (string line in File.ReadLines(file).Skip(1))
            {
                string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length < 5 || fields[3] is not (Established or CloseWait) || !match(Port(fields[1]), Port(fields[2])))
                {
                    continue;
                }

                string[] queues = fields[4].Split(':');
                total += long.Parse(queues[receive ? 1 : 0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            }
        }

        return total;
    }

    private static int Port(string address) => int.Parse(address[(address.IndexOf(':', StringComparison.Ordinal) + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}
