using ReverseTunnel.Protocol.Framing;

namespace ReverseTunnel.Protocol.Multiplexing;

/// <summary>Why a session ended.</summary>
public enum SessionEndReason
{
    /// <summary>This side closed it (shutdown or <see cref="MuxSession.Abort"/>).</summary>
    LocalClose,

    /// <summary>The peer sent GOAWAY and closed.</summary>
    PeerGoAway,

    /// <summary>The peer broke the protocol; this side sent GOAWAY with the error.</summary>
    ProtocolError,

    /// <summary>The WebSocket or the connection under it failed or closed without GOAWAY.</summary>
    TransportFailure,
}

/// <summary>How a session ended: the reason, the protocol error code and a message fit for a log line.</summary>
public sealed record SessionEnd(SessionEndReason Reason, ErrorCode Code, string Message, Exception? Exception = null)
{
    /// <inheritdoc />
    public override string ToString() => Code == ErrorCode.NoError ? $"{Reason}: {Message}" : $"{Reason} ({Code}): {Message}";
}
