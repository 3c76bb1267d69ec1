using Microsoft.Extensions.Logging;
using ReverseTunnel.Agent.Configuration;
using ReverseTunnel.Agent.Connection;
using ReverseTunnel.Agent.Diagnostics;
using ReverseTunnel.Agent.Streams;
using ReverseTunnel.Protocol.Framing;
using ReverseTunnel.Protocol.Multiplexing;

namespace ReverseTunnel.Agent.Runtime;

/// <summary>
/// Runs one multiplexed session over an accepted connection until it ends or the agent stops; on
/// stop it closes gracefully (GOAWAY NoError, open streams get <see cref="AgentOptions.DrainTimeout"/>).
/// </summary>
public sealed class SessionRunner(AgentOptions options, ILoggerFactory loggerFactory)
{
    private readonly ILogger _logger = loggerFactory.CreateLogger<SessionRunner>();
    private readonly ILogger _streamLogger = loggerFactory.CreateLogger<StreamForwarder>();
    private readonly ILogger _sessionLogger = loggerFactory.CreateLogger<MuxSession>();
    private readonly TargetDialer _dialer = new(options.TargetHost, options.TargetPort, options.DialTimeout);

    /// <summary>Runs the session; never throws for network failures.</summary>
    public async Task<SessionOutcome> RunAsync(ServerConnection connection, CancellationToken stopping)
    {
        using var forwarder = new StreamForwarder(_dialer, _streamLogger);
        var session = new MuxSession(connection.WebSocket, new MuxSessionOptions(), isServer: false, forwarder.AcceptAsync, _sessionLogger, $"agent:{options.TunnelPort}");
        await using (session.ConfigureAwait(false))
        {
            Task<SessionEnd> run = session.RunAsync(CancellationToken.None);
            var stopRequested = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using CancellationTokenRegistration registration = stopping.Register(static s => ((TaskCompletionSource)s!).TrySetResult(), stopRequested);

            bool stoppedBySignal = await Task.WhenAny(run, stopRequested.Task).ConfigureAwait(false) != run;
            if (stoppedBySignal)
            {
                AgentLog.Stopping(_logger, (int)options.DrainTimeout.TotalSeconds);
                await session.CloseAsync(ErrorCode.NoError, "the agent is stopping", options.DrainTimeout).ConfigureAwait(false);
            }

            SessionEnd end = await run.ConfigureAwait(false);
            await forwarder.StopAsync().ConfigureAwait(false);
            return new SessionOutcome(end, forwarder.AcceptedStreams, stoppedBySignal);
        }
    }
}
