using ReverseTunnel.Protocol.Framing;

namespace ReverseTunnel.Protocol.Bridging;

/// <summary>Which side ended a bridge, as YARP's StreamCopier reports it: no exception escapes.</summary>
public enum BridgeOutcome
{
    /// <summary>Both directions ended with FIN: a clean close.</summary>
    Completed,

    /// <summary>The local socket failed (reset, error); the stream was reset.</summary>
    SocketFailed,

    /// <summary>The stream was reset (by the peer, a limit or session loss); the socket was reset.</summary>
    StreamReset,

    /// <summary>The bridge was cancelled; both sides were reset.</summary>
    Cancelled,

    /// <summary>No octet moved either way for <see cref="SocketBridgeOptions.IdleTimeout"/>; both sides were reset (RESET Timeout, RST).</summary>
    IdleTimeout,
}

/// <summary>The end of one socket ⇄ stream bridge.</summary>
public sealed record BridgeResult(BridgeOutcome Outcome, long BytesFromSocket, long BytesToSocket, ErrorCode? ResetCode = null, Exception? Exception = null);
