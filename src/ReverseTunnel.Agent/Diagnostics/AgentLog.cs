using Microsoft.Extensions.Logging;
using ReverseTunnel.Protocol.Bridging;
using ReverseTunnel.Protocol.Framing;

namespace ReverseTunnel.Agent.Diagnostics;

/// <summary>
/// Every log line of the agent, source-generated, with stable event ids: 2000-2099 session and
/// process events, 2100-2199 per-stream events (Debug). No line carries the token.
/// </summary>
public static partial class AgentLog
{
    /// <summary>Start-up summary.</summary>
    [LoggerMessage(2000, LogLevel.Information, "ws-agent {Version} starting: server {ServerUrl}, TUNNEL_PORT {TunnelPort} -> {Target}, proxy {Proxy}")]
    public static partial void Starting(ILogger logger, string version, string serverUrl, int tunnelPort, string target, string proxy);

    /// <summary>The session is up.</summary>
    [LoggerMessage(2001, LogLevel.Information, "Connected to {ServerUrl}; serving TUNNEL_PORT {TunnelPort} -> {Target}")]
    public static partial void Connected(ILogger logger, string serverUrl, int tunnelPort, string target);

    /// <summary>The session ended.</summary>
    [LoggerMessage(2002, LogLevel.Warning, "Disconnected: {Reason}")]
    public static partial void Disconnected(ILogger logger, string reason);

    /// <summary>Waiting before the next attempt.</summary>
    [LoggerMessage(2003, LogLevel.Information, "Retrying in {DelaySeconds} s (attempt {Attempt})")]
    public static partial void Retrying(ILogger logger, double delaySeconds, int attempt);

    /// <summary>A connection attempt failed and will be retried.</summary>
    [LoggerMessage(2004, LogLevel.Warning, "Cannot connect to {ServerUrl}: {Reason}")]
    public static partial void ConnectFailed(ILogger logger, string serverUrl, string reason);

    /// <summary>A terminal refusal: the agent exits.</summary>
    [LoggerMessage(2005, LogLevel.Error, "Cannot connect to {ServerUrl}: {Reason} Fix: {Fix} Exiting with code {ExitCode}.")]
    public static partial void Refused(ILogger logger, string serverUrl, string reason, string fix, int exitCode);

    /// <summary>Another agent with the same token and port took over.</summary>
    [LoggerMessage(2006, LogLevel.Warning, "Disconnected: replaced by another ws-agent with the same CLIENT_UUID and TUNNEL_PORT {TunnelPort}, which connected to the server and took over this tunnel; waiting {DelaySeconds} s before retrying, then the two agents will keep taking it from each other. If one of them is a duplicate, stop it; if they serve different services, give each service its own TUNNEL_PORT.")]
    public static partial void Replaced(ILogger logger, int tunnelPort, double delaySeconds);

    /// <summary>TLS verification is off.</summary>
    [LoggerMessage(2007, LogLevel.Warning, "TLS CERTIFICATE VERIFICATION IS OFF (INSECURE_SKIP_VERIFY=true): anyone on the path to {ServerUrl} can intercept the tunnel and the token. Use CA_FILE or PINNED_CERT_SHA256 instead.")]
    public static partial void TlsVerificationDisabled(ILogger logger, string serverUrl);

    /// <summary>A stop signal arrived.</summary>
    [LoggerMessage(2008, LogLevel.Information, "Stopping: closing the session, open connections get up to {DrainSeconds} s to finish")]
    public static partial void Stopping(ILogger logger, int drainSeconds);

    /// <summary>The agent stopped.</summary>
    [LoggerMessage(2009, LogLevel.Information, "Stopped")]
    public static partial void Stopped(ILogger logger);

    /// <summary>The configuration is invalid.</summary>
    [LoggerMessage(2010, LogLevel.Error, "Configuration invalid ({Count} problem(s)); nothing was started: {Problems}")]
    public static partial void ConfigurationInvalid(ILogger logger, int count, string problems);

    /// <summary>A bug or an environment failure nobody anticipated.</summary>
    [LoggerMessage(2011, LogLevel.Critical, "Unexpected error; exiting with code 1")]
    public static partial void UnexpectedError(ILogger logger, Exception exception);

    /// <summary>Connecting, with or without proxy.</summary>
    [LoggerMessage(2012, LogLevel.Debug, "Connecting to {ServerUrl} via {Route}")]
    public static partial void Connecting(ILogger logger, string serverUrl, string route);

    /// <summary>The server did not finish the close in time; the connection is dropped.</summary>
    [LoggerMessage(2013, LogLevel.Warning, "Stopping: the session did not close within {StopSeconds} s ({ActiveStreams} connection(s) still open, or the server did not answer the close); dropping the connection")]
    public static partial void CloseTimedOut(ILogger logger, double stopSeconds, int activeStreams);

    /// <summary>A stream was connected to the target.</summary>
    [LoggerMessage(2100, LogLevel.Debug, "Stream {StreamId}: connected to {Target}")]
    public static partial void StreamConnected(ILogger logger, uint streamId, string target);

    /// <summary>A stream's dial failed; the stream was reset.</summary>
    [LoggerMessage(2101, LogLevel.Debug, "Stream {StreamId}: cannot connect to {Target}: {Reason}; reset with {Code}")]
    public static partial void StreamDialFailed(ILogger logger, uint streamId, string target, string reason, ErrorCode code);

    /// <summary>The server reset a stream while its dial was in progress; the dial was cancelled.</summary>
    [LoggerMessage(2103, LogLevel.Debug, "Stream {StreamId}: reset by the server ({Reason}) while connecting to {Target}; connection attempt cancelled ({CancelledDials} so far in this session)")]
    public static partial void StreamDialCancelled(ILogger logger, uint streamId, string target, string reason, long cancelledDials);

    /// <summary>A stream's bridge ended.</summary>
    [LoggerMessage(2102, LogLevel.Debug, "Stream {StreamId}: ended {Outcome}, {BytesFromTarget} octets from the target, {BytesToTarget} to it ({Detail})")]
    public static partial void StreamEnded(ILogger logger, uint streamId, BridgeOutcome outcome, long bytesFromTarget, long bytesToTarget, string detail);
}
