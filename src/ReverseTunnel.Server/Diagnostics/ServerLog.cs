using System.Net;
using Microsoft.Extensions.Logging;

namespace ReverseTunnel.Server.Diagnostics;

/// <summary>
/// Every log line of ws-server. Event ids 1000-1999 belong to the server and never change meaning;
/// scripts and tests parse some of these texts (listening, fingerprint), so keep them stable.
/// Tokens never appear here; client names do.
/// </summary>
internal static partial class ServerLog
{
    [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "Listening on https://{Address}:{Port}")]
    public static partial void Listening(ILogger logger, string address, int port);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Certificate SHA-256 fingerprint: {Fingerprint}")]
    public static partial void CertificateFingerprint(ILogger logger, string fingerprint);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Generated a self-signed certificate for {Subject}, valid until {NotAfter:yyyy-MM-dd}, stored in {Path}. Agents should pin its fingerprint.")]
    public static partial void CertificateGenerated(ILogger logger, string subject, DateTime notAfter, string path);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "Using certificate {Subject} from {Path}, valid until {NotAfter:yyyy-MM-dd}.")]
    public static partial void CertificateLoaded(ILogger logger, string subject, string path, DateTime notAfter);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "The certificate {Subject} from {Path} expires on {NotAfter:yyyy-MM-dd}; renew it before agents start failing.")]
    public static partial void CertificateExpiresSoon(ILogger logger, string subject, string path, DateTime notAfter);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "The self-signed certificate in {Path} {Problem}; generating a new one. Its fingerprint changes: update the pin of every agent.")]
    public static partial void CertificateReplaced(ILogger logger, string path, string problem);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Information, Message = "Loaded {Count} client(s) from {Path}.")]
    public static partial void ClientsLoaded(ILogger logger, int count, string path);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Warning, Message = "No clients file was found; created an empty one at {Path}. No agent can connect until a client is added, e.g. {{\"clients\":[{{\"name\":\"acme-jira\",\"tokenSha256\":\"<ws-server hash-token TOKEN>\",\"ports\":[\"5000\"]}}]}}. The file is reloaded on save.")]
    public static partial void ClientsFileCreated(ILogger logger, string path);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Error, Message = "The clients file {Path} was not reloaded; the previous {Count} client(s) stay in force. {Problem}")]
    public static partial void ClientsReloadFailed(ILogger logger, string path, int count, string problem);

    [LoggerMessage(EventId = 1013, Level = LogLevel.Information, Message = "Reloaded {Count} client(s) from {Path}.")]
    public static partial void ClientsReloaded(ILogger logger, int count, string path);

    [LoggerMessage(EventId = 1014, Level = LogLevel.Error, Message = "Watching the clients file {Path} failed; changes are picked up after a restart only.")]
    public static partial void ClientsWatchFailed(ILogger logger, Exception exception, string path);

    [LoggerMessage(EventId = 1020, Level = LogLevel.Information, Message = "Agent connected: client {Client} port {Port} target {Target} from {RemoteAddress}")]
    public static partial void AgentConnected(ILogger logger, string client, int port, string target, IPAddress? remoteAddress);

    [LoggerMessage(EventId = 1021, Level = LogLevel.Information, Message = "Agent disconnected: client {Client} port {Port}: {Reason}")]
    public static partial void AgentDisconnected(ILogger logger, string client, int port, string reason);

    [LoggerMessage(EventId = 1022, Level = LogLevel.Warning, Message = "Agent refused ({Status} {Code}) from {RemoteAddress}: {Reason}")]
    public static partial void AgentRefused(ILogger logger, int status, string code, IPAddress? remoteAddress, string reason);

    [LoggerMessage(EventId = 1023, Level = LogLevel.Information, Message = "Client {Client} reconnected on port {Port} from {RemoteAddress}; the previous session is replaced.")]
    public static partial void AgentReplaced(ILogger logger, string client, int port, IPAddress? remoteAddress);

    [LoggerMessage(EventId = 1024, Level = LogLevel.Warning, Message = "The WebSocket upgrade for client {Client} port {Port} failed.")]
    public static partial void UpgradeFailed(ILogger logger, Exception exception, string client, int port);

    [LoggerMessage(EventId = 1025, Level = LogLevel.Warning, Message = "Too many failed handshakes from {RemoteAddress}: refusing its handshakes with 429 too_many_failures (Retry-After {RetryAfter} s). Further refusals are summarised.")]
    public static partial void TooManyFailures(ILogger logger, IPAddress? remoteAddress, int retryAfter);

    [LoggerMessage(EventId = 1026, Level = LogLevel.Warning, Message = "Refused {Count} more handshake(s) with 429 too_many_failures from {Addresses} address(es) in the last {Elapsed}.")]
    public static partial void TooManyFailuresSummary(ILogger logger, long count, int addresses, TimeSpan elapsed);

    [LoggerMessage(EventId = 1036, Level = LogLevel.Warning, Message = "Tunnel port {Port}: the session's stream limit ({Limit}, Tunnel:MaxStreamsPerSession) is reached; {Count} connection(s) reset since the last warning.")]
    public static partial void StreamLimitReached(ILogger logger, int port, int limit, long count);

    [LoggerMessage(EventId = 1030, Level = LogLevel.Information, Message = "Tunnel port {Port} is open on {Address} for client {Client}.")]
    public static partial void TunnelOpened(ILogger logger, int port, IPAddress address, string client);

    [LoggerMessage(EventId = 1031, Level = LogLevel.Information, Message = "Tunnel port {Port} is closed.")]
    public static partial void TunnelClosed(ILogger logger, int port);

    [LoggerMessage(EventId = 1032, Level = LogLevel.Debug, Message = "Tunnel port {Port}: connection from {RemoteEndPoint} refused: {Reason}")]
    public static partial void ConnectionRefused(ILogger logger, int port, System.Net.EndPoint? remoteEndPoint, string reason);

    [LoggerMessage(EventId = 1033, Level = LogLevel.Error, Message = "Tunnel port {Port}: the listening socket failed; the port is closed and its session ended, so that the agent reconnects and the port is bound again.")]
    public static partial void AcceptFailed(ILogger logger, Exception exception, int port);

    [LoggerMessage(EventId = 1035, Level = LogLevel.Warning, Message = "Tunnel port {Port}: accepting a connection failed; retrying in {Backoff}. The port stays open.")]
    public static partial void AcceptRetrying(ILogger logger, Exception exception, int port, TimeSpan backoff);

    [LoggerMessage(EventId = 1034, Level = LogLevel.Debug, Message = "Tunnel port {Port}: stream {StreamId} ended ({Outcome}), {BytesToAgent} octets to the agent, {BytesFromAgent} from it.")]
    public static partial void ConnectionEnded(ILogger logger, int port, uint streamId, Protocol.Bridging.BridgeOutcome outcome, long bytesToAgent, long bytesFromAgent);

    [LoggerMessage(EventId = 1040, Level = LogLevel.Information, Message = "Shutting down: closing {Count} session(s); open connections get up to {Timeout} to finish.")]
    public static partial void ShutdownStarted(ILogger logger, int count, TimeSpan timeout);

    [LoggerMessage(EventId = 1041, Level = LogLevel.Warning, Message = "Shutdown did not finish in time; {Count} session(s) were abandoned.")]
    public static partial void ShutdownIncomplete(ILogger logger, int count);

    [LoggerMessage(EventId = 1015, Level = LogLevel.Debug, Message = "The clients file {Path} changed without a file-system event (e.g. a Kubernetes ConfigMap or Secret update); reloading.")]
    public static partial void ClientsFileChangeDetected(ILogger logger, string path);

    [LoggerMessage(EventId = 1051, Level = LogLevel.Warning, Message = "Tunnel:TunnelBindAddress is {Address}, which is not a loopback, private (RFC 1918), shared (100.64.0.0/10), link-local or unique-local address: tunnel ports may be reachable from outside the internal network. Use 127.0.0.1 or the address of an internal interface.")]
    public static partial void TunnelBindAddressNotInternal(ILogger logger, string address);

    [LoggerMessage(EventId = 1050, Level = LogLevel.Critical, Message = "ws-server cannot start: {Problem}")]
    public static partial void StartupFailed(ILogger logger, string problem);
}
