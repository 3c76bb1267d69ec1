namespace ReverseTunnel.Protocol.Framing;

/// <summary>
/// A session error: the peer broke the protocol, so the whole session ends with GOAWAY carrying
/// <see cref="Code"/>. Stream errors never throw this; they reset one stream.
/// </summary>
public sealed class ProtocolException(ErrorCode code, string message) : Exception(message)
{
    /// <summary>The code sent to the peer in GOAWAY.</summary>
    public ErrorCode Code { get; } = code;
}
