using Microsoft.Extensions.Logging;
using ReverseTunnel.Protocol.Framing;

namespace ReverseTunnel.Protocol.Multiplexing;

/// <summary>Session log lines. Event ids 100-199 belong to the protocol library and never change meaning.</summary>
internal static partial class SessionLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Warning, Message = "Session {Session}: the peer broke the protocol ({Code}): {Detail}. Sent GOAWAY and closed the session.")]
    public static partial void ProtocolViolation(ILogger logger, string session, ErrorCode code, string detail);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Session {Session}: the peer sent GOAWAY ({Code}): {Reason}")]
    public static partial void GoAwayReceived(ILogger logger, string session, ErrorCode code, string reason);

    [LoggerMessage(EventId = 102, Level = LogLevel.Debug, Message = "Session {Session}: stream {StreamId} refused: {Reason}")]
    public static partial void StreamRefused(ILogger logger, string session, uint streamId, string reason);

    [LoggerMessage(EventId = 103, Level = LogLevel.Debug, Message = "Session {Session}: stream {StreamId} was reset by the peer ({Code}).")]
    public static partial void StreamResetByPeer(ILogger logger, string session, uint streamId, ErrorCode code);

    [LoggerMessage(EventId = 104, Level = LogLevel.Error, Message = "Session {Session}: the stream handler for stream {StreamId} failed.")]
    public static partial void StreamHandlerFailed(ILogger logger, Exception exception, string session, uint streamId);
}
