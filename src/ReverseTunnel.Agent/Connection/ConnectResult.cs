namespace ReverseTunnel.Agent.Connection;

/// <summary>The outcome of one connection attempt: an open connection or a typed failure.</summary>
public sealed record ConnectResult(ServerConnection? Connection, ConnectFailure? Failure)
{
    /// <summary>A successful attempt.</summary>
    public static ConnectResult Connected(ServerConnection connection) => new(connection, null);

    /// <summary>A failed attempt.</summary>
    public static ConnectResult Failed(ConnectFailure failure) => new(null, failure);
}
