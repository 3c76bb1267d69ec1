using System.Globalization;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ReverseTunnel.Protocol;
using ReverseTunnel.Protocol.Framing;
using ReverseTunnel.Protocol.Multiplexing;
using ReverseTunnel.Server.Clients;
using ReverseTunnel.Server.Configuration;
using ReverseTunnel.Server.Diagnostics;
using ReverseTunnel.Server.Tunnels;

namespace ReverseTunnel.Server.Endpoints;

/// <summary>
/// <c>/tunnel</c>: checks an agent's handshake in the contract's order, refusing with problem JSON
/// before the upgrade, then runs the agent's session until it ends.
/// </summary>
internal sealed class TunnelEndpoint
{
    /// <summary>The path agents connect to.</summary>
    public const string Path = "/tunnel";

    private readonly TunnelOptions _options;
    private readonly PortSet _allowedPorts;
    private readonly ClientRegistry _registry;
    private readonly TunnelManager _tunnels;
    private readonly ServerMetrics _metrics;
    private readonly ILogger _logger;
    private readonly ILogger _sessionLogger;
    private readonly AuthFailureLimiter _failures;
    private readonly FailureLogThrottle _failureLog;
    private readonly SessionAdmission _admission;

    public TunnelEndpoint(
        IOptions<TunnelOptions> options,
        ClientRegistry registry,
        TunnelManager tunnels,
        ServerMetrics metrics,
        ILoggerFactory loggerFactory,
        AuthFailureLimiter failures,
        SessionAdmission admission,
        TimeProvider time)
    {
        _failures = failures;
        _admission = admission;
        _options = options.Value;
        PortSet.TryParse([_options.AllowedPorts], out _allowedPorts, out _);
        _registry = registry;
        _tunnels = tunnels;
        _metrics = metrics;
        _logger = loggerFactory.CreateLogger<TunnelEndpoint>();
        _sessionLogger = loggerFactory.CreateLogger<MuxSession>();
        _failureLog = new FailureLogThrottle(_logger, time, FailureLogInterval);
    }

    /// <summary>How often refusals for too many failures are summarised in one log line.</summary>
    internal static TimeSpan FailureLogInterval { get; } = TimeSpan.FromSeconds(10);

    public async Task HandleAsync(HttpContext context)
    {
        TunnelProblem? problem = CheckUpgrade(context);
        if (problem is not null)
        {
            await RefuseAsync(context, problem, client: null).ConfigureAwait(false);
            return;
        }

        // Before the headers are even read: an address out of allowance costs no token hashing.
        System.Net.IPAddress? remote = context.Connection.RemoteIpAddress;
        if (_failures.IsBlocked(remote))
        {
            int retryAfter = _failures.RetryAfterSeconds;
            _metrics.HandshakeRefused("too_many_failures");
            _failureLog.Refused(remote, retryAfter);
            await ProblemWriter.WriteAsync(context, TunnelProblems.TooManyFailures(retryAfter)).ConfigureAwait(false);
            return;
        }

        problem = TunnelRequest.TryRead(context.Request, out TunnelRequest? request);
        if (problem is not null)
        {
            _failures.RecordFailure(remote);
            await RefuseAsync(context, problem, client: null).ConfigureAwait(false);
            return;
        }

        if (_registry.Current.FindByToken(request!.Token) is not { } client)
        {
            _failures.RecordFailure(remote);
            await RefuseAsync(context, TunnelProblems.UnknownToken(), client: null).ConfigureAwait(false);
            return;
        }

        if (CheckPort(request.Port, client) is { } portProblem)
        {
            await RefuseAsync(context, portProblem, client).ConfigureAwait(false);
            return;
        }

        AdmissionStatus admission = _admission.TryAdmit(client.Name);
        if (admission != AdmissionStatus.Admitted)
        {
            problem = admission == AdmissionStatus.ServerFull
                ? TunnelProblems.TooManySessions(_admission.MaxSessions)
                : TunnelProblems.TooManyClientSessions(_admission.MaxSessionsPerClient);
            await RefuseAsync(context, problem, client).ConfigureAwait(false);
            return;
        }

        string admitted = client.Name;
        try
        {
            await ClaimAndRunAsync(context, request, client).ConfigureAwait(false);
        }
        finally
        {
            _admission.Release(admitted);
        }
    }

    private async Task ClaimAndRunAsync(HttpContext context, TunnelRequest request, ClientRegistration client)
    {
        ClaimResult claim = _tunnels.TryClaim(request.Port, client, request.Target);
        TunnelProblem? problem = claim.Status switch
        {
            ClaimStatus.PortInUse => TunnelProblems.PortInUse(request.Port),
            ClaimStatus.TargetConflict => TunnelProblems.PortServesOtherTarget(request.Port, claim.CurrentTarget ?? "(not given)", request.Target),
            ClaimStatus.PortUnavailable => TunnelProblems.PortUnavailable(request.Port, claim.Error ?? "unknown error"),
            ClaimStatus.ShuttingDown => TunnelProblems.ShuttingDown(),
            _ => null,
        };
        if (problem is not null)
        {
            await RefuseAsync(context, problem, client).ConfigureAwait(false);
            return;
        }

        await RunSessionAsync(context, request, claim.Lease!).ConfigureAwait(false);
    }

    private static TunnelProblem? CheckUpgrade(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            return TunnelProblems.NotWebSocket();
        }

        // Exact match only: "reverse-tunnel.v01" parses as 1, but the 101 must echo a name the agent
        // offered and recognises (RFC 6455), so only the canonical name is accepted.
        IList<string> offered = context.WebSockets.WebSocketRequestedProtocols;
        if (offered.Contains(ProtocolVersion.SubProtocol, StringComparer.Ordinal))
        {
            return null;
        }

        int[] versions = [.. offered.Select(CanonicalVersion).Where(v => v > 0)];
        if (versions.Length > 0)
        {
            return TunnelProblems.VersionMismatch(versions.Max());
        }

        string[] ours = [.. offered.Where(p => p.StartsWith(ProtocolVersion.SubProtocolPrefix, StringComparison.Ordinal))];
        return ours.Length == 0
            ? TunnelProblems.NoSubprotocol()
            : TunnelProblems.MalformedVersion(string.Join(", ", ours.Select(Truncate)));
    }

    /// <summary>The version of a canonically written <c>reverse-tunnel.vN</c> (no sign, no leading zeros); 0 otherwise.</summary>
    private static int CanonicalVersion(string subProtocol) =>
        ProtocolVersion.TryParse(subProtocol, out int version)
        && subProtocol.Length == ProtocolVersion.SubProtocolPrefix.Length + version.ToString(CultureInfo.InvariantCulture).Length
            ? version
            : 0;

    private TunnelProblem? CheckPort(int port, ClientRegistration client)
    {
        if (_allowedPorts.Contains(port) && client.Ports.Contains(port))
        {
            return null;
        }

        string outside = _allowedPorts.Contains(port) ? string.Empty : $" This server opens ports {_allowedPorts} only.";
        return TunnelProblems.PortNotAllowed(
            $"Port {port} is not allowed for this token.{outside} This token may use: {client.Ports}. Set TUNNEL_PORT to one of them, or ask the platform operator to allow port {port}.");
    }

    private async Task RunSessionAsync(HttpContext context, TunnelRequest request, TunnelLease lease)
    {
        string client = lease.Client.Name;
        WebSocket webSocket;
        try
        {
            webSocket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
            {
                SubProtocol = ProtocolVersion.SubProtocol,
                // Defaults 15 s + 15 s: a dead agent is found in about 30 s (Tunnel:KeepAlive*).
                KeepAliveInterval = _options.KeepAliveInterval,
                KeepAliveTimeout = _options.KeepAliveTimeout,
            }).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or WebSocketException or InvalidOperationException or OperationCanceledException)
        {
            ServerLog.UpgradeFailed(_logger, ex, client, request.Port);
            _tunnels.Release(lease);
            return;
        }

        await using var session = new MuxSession(webSocket, _options.Session, isServer: true, acceptStream: null, _sessionLogger, $"{client}:{request.Port}");
        if (!_tunnels.Activate(lease, session, out bool replaced))
        {
            // Overtaken by a newer session of the same client, the port closed or revoked, or the
            // server began shutting down, mid-upgrade.
            session.Abort(ErrorCode.Replaced, "replaced by a newer session of the same client, or the port was closed, or the server is shutting down");
        }
        else if (replaced)
        {
            ServerLog.AgentReplaced(_logger, client, request.Port, context.Connection.RemoteIpAddress);
        }

        ServerLog.AgentConnected(_logger, client, request.Port, request.Target, context.Connection.RemoteIpAddress);
        _metrics.SessionStarted();
        SessionEnd end;
        try
        {
            end = await session.RunAsync(context.RequestAborted).ConfigureAwait(false);
        }
        finally
        {
            // First, so that the port refuses new connections as soon as the session is gone.
            _tunnels.Release(lease);
            _metrics.SessionEnded();
        }

        ServerLog.AgentDisconnected(_logger, lease.Client.Name, request.Port, end.ToString());
    }

    private async Task RefuseAsync(HttpContext context, TunnelProblem problem, ClientRegistration? client)
    {
        string reason = client is null ? problem.Detail : $"client {client.Name}: {problem.Detail}";
        ServerLog.AgentRefused(_logger, problem.Status, problem.Code, context.Connection.RemoteIpAddress, reason);
        _metrics.HandshakeRefused(problem.Code);
        await ProblemWriter.WriteAsync(context, problem).ConfigureAwait(false);
    }

    private static string Truncate(string value) => value.Length <= 40 ? value : value[..40] + "...";
}
