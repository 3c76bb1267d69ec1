using ReverseTunnel.Protocol.Multiplexing;

namespace ReverseTunnel.Agent.Runtime;

/// <summary>How a session ended and what it did (only its end and stop flag steer the reconnect).</summary>
/// <param name="End">Why the session ended.</param>
/// <param name="AcceptedStreams">Streams the server opened during it.</param>
/// <param name="StoppedBySignal">True when the agent itself closed it to stop.</param>
public sealed record SessionOutcome(SessionEnd End, long AcceptedStreams, bool StoppedBySignal);
