namespace ReverseTunnel.Agent.Connection;

/// <summary>Opens the WebSocket to ws-server. An interface so the reconnect loop can be tested without a network.</summary>
public interface IServerConnector
{
    /// <summary>
    /// One connection attempt. Failures are returned, not thrown; only cancellation of
    /// <paramref name="cancellationToken"/> throws (<see cref="OperationCanceledException"/>).
    /// </summary>
    Task<ConnectResult> ConnectAsync(CancellationToken cancellationToken);
}
