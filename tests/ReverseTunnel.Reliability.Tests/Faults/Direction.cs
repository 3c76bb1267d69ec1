namespace ReverseTunnel.Reliability.Tests.Faults;

/// <summary>One direction through the <see cref="FaultProxy"/>.</summary>
public enum Direction
{
    /// <summary>From the agent to the server (the proxy's listening side to its upstream).</summary>
    ToServer,

    /// <summary>From the server back to the agent.</summary>
    ToAgent,
}
