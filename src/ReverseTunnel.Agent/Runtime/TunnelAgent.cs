using Microsoft.Extensions.Logging;
using ReverseTunnel.Agent.Configuration;
using ReverseTunnel.Agent.Connection;
using ReverseTunnel.Agent.Diagnostics;
using ReverseTunnel.Agent.Reconnect;
using ReverseTunnel.Protocol.Framing;
using ReverseTunnel.Protocol.Multiplexing;

namespace ReverseTunnel.Agent.Runtime;

/// <summary>
/// The agent's main loop: connect, serve the session, and reconnect with backoff, forever, except
/// after a terminal refusal (exit 3-6) or a stop signal (exit 0).
/// </summary>
public sealed class TunnelAgent(
    AgentOptions options,
    IServerConnector connector,
    IReconnectPolicy reconnectPolicy,
    TimeProvider time,
    ILoggerFactory loggerFactory)
{
    private readonly ILogger _logger = loggerFactory.CreateLogger<TunnelAgent>();
    private readonly SessionRunner _sessions = new(options, time, loggerFactory);

    /// <summary>The longest Retry-After the agent honours: 5 min.</summary>
    public static readonly TimeSpan MaxRetryAfter = TimeSpan.FromMinutes(5);

    /// <summary>Runs until stopped or refused; returns the process exit code.</summary>
    public async Task<int> RunAsync(CancellationToken stopping)
    {
        string server = options.ServerUrl;
        int attempt = 0;
        while (!stopping.IsCancellationRequested)
        {
            attempt++;
            ConnectResult result;
            try
            {
                result = await connector.ConnectAsync(stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }

            TimeSpan delay;
            if (result.Failure is { } failure)
            {
                if (failure.IsTerminal)
                {
                    AgentLog.Refused(_logger, server, failure.Message, failure.Fix ?? "-", failure.ExitCode!.Value);
                    return failure.ExitCode.Value;
                }

                AgentLog.ConnectFailed(_logger, server, failure.Message);
                delay = reconnectPolicy.NextDelay();
                if (failure.RetryAfter is { } retryAfter)
                {
                    // The server's Retry-After is a floor (a rate limit that is not yet over would only
                    // refuse again), capped so that a hostile or broken server cannot park the agent.
                    TimeSpan floor = retryAfter < MaxRetryAfter ? retryAfter : MaxRetryAfter;
                    delay = delay > floor ? delay : floor;
                }
            }
            else
            {
                // Timed from before the Connected line, so a session is never measured shorter than it looked.
                long connectedAt = time.GetTimestamp();
                SessionOutcome outcome = await ServeAsync(result.Connection!, stopping).ConfigureAwait(false);
                if (outcome.StoppedBySignal || stopping.IsCancellationRequested)
                {
                    break;
                }

                if (time.GetElapsedTime(connectedAt) >= options.HealthySessionDuration)
                {
                    // A session that lasted proves the configuration and the path: start the backoff over.
                    // By duration only: a server that crashes right after its first stream must not
                    // get 1 s retries from every agent (the first delay is jittered all the same).
                    reconnectPolicy.Reset();
                    attempt = 0;
                }

                if (outcome.End is { Reason: SessionEndReason.PeerGoAway, Code: ErrorCode.Replaced })
                {
                    // Retrying at once would replace the other agent, which would replace us, forever.
                    delay = reconnectPolicy.MaxDelay;
                    AgentLog.Replaced(_logger, options.TunnelPort, delay.TotalSeconds);
                }
                else
                {
                    AgentLog.Disconnected(_logger, Describe(outcome.End));
                    delay = reconnectPolicy.NextDelay();
                }
            }

            // The timer exists before the line is logged, so whoever reacts to the line (a test
            // advancing a fake clock) cannot run before the wait has started.
            Task wait = Task.Delay(delay, time, stopping);
            AgentLog.Retrying(_logger, Math.Round(delay.TotalSeconds, 1), attempt + 1);
            try
            {
                await wait.ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
        }

        AgentLog.Stopped(_logger);
        return ExitCodes.Stopped;
    }

    /// <summary>Words for a Disconnected line.</summary>
    public static string Describe(SessionEnd end) => end.Reason switch
    {
        SessionEndReason.PeerGoAway when end.Code == ErrorCode.NoError => $"the server closed the session ({end.Message})",
        SessionEndReason.PeerGoAway => $"the server closed the session with {end.Code} ({end.Message})",
        SessionEndReason.TransportFailure => $"the connection to the server was lost ({end.Message})",
        SessionEndReason.ProtocolError => $"protocol error {end.Code} ({end.Message})",
        _ => end.Message,
    };

    private async Task<SessionOutcome> ServeAsync(ServerConnection connection, CancellationToken stopping)
    {
        await using (connection.ConfigureAwait(false))
        {
            AgentLog.Connected(_logger, options.ServerUrl, options.TunnelPort, options.Target);
            if (options.InsecureSkipVerify)
            {
                AgentLog.TlsVerificationDisabled(_logger, options.ServerUrl);
            }

            return await _sessions.RunAsync(connection, stopping).ConfigureAwait(false);
        }
    }
}
