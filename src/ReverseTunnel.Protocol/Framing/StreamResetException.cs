namespace ReverseTunnel.Protocol.Framing;

/// <summary>
/// Thrown to readers and writers of a stream that was reset, by the peer or locally, or lost with
/// its session. It means the byte stream is incomplete: never treat it as a clean end.
/// </summary>
public sealed class StreamResetException(ErrorCode code, string message, bool byPeer) : IOException(message)
{
    /// <summary>Why the stream was reset.</summary>
    public ErrorCode Code { get; } = code;

    /// <summary>True when the peer sent the reset; false when it was local or the session was lost.</summary>
    public bool ByPeer { get; } = byPeer;
}
