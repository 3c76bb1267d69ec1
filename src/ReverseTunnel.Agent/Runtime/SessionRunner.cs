using Microsoft.Extensions.Logging;
using ReverseTunnel.Agent.Configuration;
using ReverseTunnel.Agent.Connection;
using ReverseTunnel.Agent.Diagnostics;
using ReverseTunnel.Agent.Streams;
using ReverseTunnel.Protocol.Bridging;
using ReverseTunnel.Protocol.Framing;
using ReverseTunnel.Protocol.Multiplexing;

namespace ReverseTunnel.Agent.Runtime;

/// <summary>
/// Runs one multiplexed session over an accepted connection until it ends or the agent stops; on
/// stop it closes gracefully (GOAWAY NoError, open streams get <see cref="AgentOptions.DrainTimeout"/>)
/// and drops the connection if that has not finished within <see cref="AgentOptions.StopTimeout"/>.
/// </summary>
/// <param name="options">The agent's configuration.</param>
/// <param name="time">The clock of the stop bound; tests pass a fake one.</param>
/// <param name="loggerFactory">Loggers for the runner, the streams and the session.</param>
public sealed class SessionRunner(AgentOptions options, TimeProvider time, ILoggerFactory loggerFactory)
{
    private readonly ILogger _logger = loggerFactory.CreateLogger<SessionRunner>();
    private readonly ILogger _streamLogger = loggerFactory.CreateLogger<StreamForwarder>();
    private readonly ILogger _sessionLogger = loggerFactory.CreateLogger<MuxSession>();
    private readonly TargetDialer _dialer = new(options.TargetHost, options.TargetPort, options.DialTimeout);

    /// <summary>Runs the session; never throws for network failures.</summary>
    public async Task<SessionOutcome> RunAsync(ServerConnection connection, CancellationToken stopping)
    {
        using var forwarder = new StreamForwarder(_dialer, _streamLogger, new SocketBridgeOptions { IdleTimeout = options.IdleStreamTimeout });
        // MAX_STREAMS goes to the server in HELLO, and the session refuses (RESET RefusedStream) any
        // OPEN beyond it before the forwarder sees it: a hostile server cannot make the agent dial
        // or buffer for more streams than this.
        var session = new MuxSession(connection.WebSocket, new MuxSessionOptions { MaxConcurrentStreams = options.MaxStreams }, isServer: false, forwarder.AcceptAsync, _sessionLogger, $"agent:{options.TunnelPort}");
        await using (session.ConfigureAwait(false))
        {
            Task<SessionEnd> run = session.RunAsync(CancellationToken.None);
            var stopRequested = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using CancellationTokenRegistration registration = stopping.Register(static s => ((TaskCompletionSource)s!).TrySetResult(), stopRequested);

            bool stoppedBySignal = await Task.WhenAny(run, stopRequested.Task).ConfigureAwait(false) != run;
            if (stoppedBySignal)
            {
                await CloseBoundedAsync(session, connection).ConfigureAwait(false);
            }

            SessionEnd end = await run.ConfigureAwait(false);
            await forwarder.StopAsync().ConfigureAwait(false);
            return new SessionOutcome(end, forwarder.AcceptedStreams, stoppedBySignal);
        }
    }

    /// <summary>
    /// Closes gracefully, but never for longer than <see cref="AgentOptions.StopTimeout"/>: MuxSession's
    /// own close may add seconds of close handshake after the drain, and docker sends SIGKILL 10 s
    /// after SIGTERM (exit 137, and the open connections are cut anyway).
    /// </summary>
    private async Task CloseBoundedAsync(MuxSession session, ServerConnection connection)
    {
        using var cancelDeadline = new CancellationTokenSource();
        // The timer exists before the Stopping line, so whoever reacts to the line (a test advancing
        // a fake clock) cannot run before the bound has started.
        Task deadline = Task.Delay(options.StopTimeout, time, cancelDeadline.Token);
        AgentLog.Stopping(_logger, (int)options.DrainTimeout.TotalSeconds);
        Task<SessionEnd> closing = session.CloseAsync(ErrorCode.NoError, "the agent is stopping", options.DrainTimeout);
        if (await Task.WhenAny(closing, deadline).ConfigureAwait(false) == closing)
        {
            await cancelDeadline.CancelAsync().ConfigureAwait(false);
            return;
        }

        AgentLog.CloseTimedOut(_logger, options.StopTimeout.TotalSeconds, session.ActiveStreams);
        session.Abort(ErrorCode.Shutdown, "the agent is stopping");
        // Abort drops the transport only after a grace; aborting the WebSocket ends the read loop now.
        connection.WebSocket.Abort();
        await closing.ConfigureAwait(false);
    }
}
