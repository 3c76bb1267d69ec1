namespace ReverseTunnel.Protocol.Multiplexing;

/// <summary>A stream cannot be opened: the session is closing, closed, or at its stream limit.</summary>
public sealed class SessionClosedException(string message) : IOException(message);
