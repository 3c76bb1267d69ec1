namespace ReverseTunnel.Reliability.Tests.Harness;

/// <summary>The faults a <see cref="FaultInjector"/> takes turns with.</summary>
[Flags]
internal enum FaultKinds
{
    /// <summary>The agent's connection reset on both sides after a random number of octets, mid-frame.</summary>
    Cut = 1,

    /// <summary>The agent SIGKILLed and a new one started.</summary>
    AgentKill = 2,
}
