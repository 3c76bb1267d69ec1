namespace ReverseTunnel.Protocol.Framing;

/// <summary>
/// Error codes carried by <see cref="FrameType.Reset"/> and <see cref="FrameType.GoAway"/>.
/// Codes are 32-bit; unknown codes are treated as <see cref="InternalError"/>.
/// </summary>
public enum ErrorCode : uint
{
    /// <summary>Graceful: no error.</summary>
    NoError = 0x0,

    /// <summary>The peer broke the protocol (session error).</summary>
    ProtocolError = 0x1,

    /// <summary>An unexpected failure inside the sender.</summary>
    InternalError = 0x2,

    /// <summary>The peer sent more than its window allowed.</summary>
    FlowControlError = 0x3,

    /// <summary>A frame larger than the receiver's advertised maximum.</summary>
    FrameSizeError = 0x4,

    /// <summary>The stream was refused before any of its data was processed (limit reached, shutting down).</summary>
    RefusedStream = 0x5,

    /// <summary>The stream is no longer needed.</summary>
    Cancel = 0x6,

    /// <summary>The agent could not connect to its target: connection refused.</summary>
    ConnectRefused = 0x7,

    /// <summary>The agent could not connect to its target in time.</summary>
    ConnectTimeout = 0x8,

    /// <summary>The agent could not resolve or route to its target.</summary>
    HostUnreachable = 0x9,

    /// <summary>The TCP connection at the sender's end was reset or failed.</summary>
    ConnectionReset = 0xA,

    /// <summary>The sender is shutting down and the drain timeout expired.</summary>
    Shutdown = 0xB,

    /// <summary>The session was replaced by a newer session of the same client (GOAWAY only).</summary>
    Replaced = 0xC,

    /// <summary>The peer did not answer keep-alives or stalled the session.</summary>
    Timeout = 0xD,
}
