using ReverseTunnel.EndToEnd.Tests.Harness;
using ReverseTunnel.Reliability.Tests.Faults;
using ReverseTunnel.Reliability.Tests.Targets;

namespace ReverseTunnel.Reliability.Tests.Harness;

/// <summary>One tunnel: its port on the server, its target, the fault proxy its agent dials through, and the agent.</summary>
internal sealed class TunnelSlot(int index, int tunnelPort, ServiceTarget target, FaultProxy proxy)
{
    public int Index { get; } = index;

    public int TunnelPort { get; } = tunnelPort;

    public ServiceTarget Target { get; } = target;

    public FaultProxy Proxy { get; } = proxy;

    /// <summary>The agent process serving the port now (replaced when a test restarts it).</summary>
    public ChildProcess Agent { get; set; } = null!;

    public override string ToString() => $"tunnel {Index} (port {TunnelPort}, agent pid {Agent?.Id})";
}
