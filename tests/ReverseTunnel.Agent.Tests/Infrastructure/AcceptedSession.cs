using ReverseTunnel.Protocol.Multiplexing;

namespace ReverseTunnel.Agent.Tests.Infrastructure;

/// <summary>A session the test server accepted: the session, the upgrade request's headers and its run task.</summary>
public sealed record AcceptedSession(MuxSession Session, IReadOnlyDictionary<string, string> Headers, Task<SessionEnd> Run);
