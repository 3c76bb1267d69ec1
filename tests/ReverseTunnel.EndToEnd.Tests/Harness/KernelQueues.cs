namespace ReverseTunnel.EndToEnd.Tests.Harness;

/// <summary>
/// Octets the kernel holds for TCP sockets on this machine (<see cref="ProcNetTcp"/>): tx_queue and
/// rx_queue. Lets a test tell octets parked in kernel buffers from octets a process buffers.
/// </summary>
internal static class KernelQueues
{
    public static bool Available => ProcNetTcp.Available;

    /// <summary>Sum of tx_queue of the sockets whose (local port, remote port) match.</summary>
    public static long Sending(Func<int, int, bool> match) =>
        ProcNetTcp.OpenSockets().Where(s => match(s.LocalPort, s.RemotePort)).Sum(s => s.TxQueue);

    /// <summary>Sum of rx_queue of the sockets whose (local port, remote port) match.</summary>
    public static long Receiving(Func<int, int, bool> match) =>
        ProcNetTcp.OpenSockets().Where(s => match(s.LocalPort, s.RemotePort)).Sum(s => s.RxQueue);
}
