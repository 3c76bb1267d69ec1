using System.Globalization;

namespace ReverseTunnel.EndToEnd.Tests.Harness;

/// <summary>
/// The open TCP sockets of this machine, from /proc/net/tcp and /proc/net/tcp6 (Linux). Only
/// ESTABLISHED and CLOSE_WAIT are listed: a socket in any other state (FIN_WAIT, LAST_ACK,
/// TIME_WAIT) has been closed by its process and is the kernel's to finish.
/// </summary>
internal static class ProcNetTcp
{
    private const string Established = "01";
    private const string CloseWait = "08";

    /// <summary>One socket: its ports, and the octets the kernel holds for it.</summary>
    /// <param name="TxQueue">Written by the process, not yet acknowledged by the peer.</param>
    /// <param name="RxQueue">Received, not yet read by the process.</param>
    public readonly record struct Entry(int LocalPort, int RemotePort, long TxQueue, long RxQueue);

    public static bool Available => File.Exists("/proc/net/tcp");

    public static IEnumerable<Entry> OpenSockets()
    {
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
                if (fields.Length < 5 || fields[3] is not (Established or CloseWait))
                {
                    continue;
                }

                string[] queues = fields[4].Split(':');
                yield return new Entry(Port(fields[1]), Port(fields[2]), Hex(queues[0]), Hex(queues[1]));
            }
        }
    }

    private static int Port(string address) => (int)Hex(address[(address.IndexOf(':', StringComparison.Ordinal) + 1)..]);

    private static long Hex(string value) => long.Parse(value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}
