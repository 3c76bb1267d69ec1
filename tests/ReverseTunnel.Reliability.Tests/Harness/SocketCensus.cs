using ReverseTunnel.EndToEnd.Tests.Harness;

namespace ReverseTunnel.Reliability.Tests.Harness;

/// <summary>
/// Counts open TCP sockets on this machine (<see cref="ProcNetTcp"/>, ESTABLISHED and CLOSE_WAIT):
/// the server's side of tunnel connections (local port = a tunnel port) and the agents' connections
/// to their targets (remote port = a target port). A CLOSE_WAIT that stays is the classic leak (the
/// peer closed, we never did).
/// </summary>
internal static class SocketCensus
{
    /// <summary>Sockets whose local port is one of <paramref name="localPorts"/>.</summary>
    public static int WithLocalPort(IReadOnlyCollection<int> localPorts) => ProcNetTcp.OpenSockets().Count(s => localPorts.Contains(s.LocalPort));

    /// <summary>Sockets whose remote port is one of <paramref name="remotePorts"/>.</summary>
    public static int WithRemotePort(IReadOnlyCollection<int> remotePorts) => ProcNetTcp.OpenSockets().Count(s => remotePorts.Contains(s.RemotePort));
}
