namespace ReverseTunnel.Agent.Connection;

/// <summary>A refused server certificate: the kind and a message that says how to fix it.</summary>
public sealed record TlsFailure(TlsFailureKind Kind, string Message);
