namespace ReverseTunnel.Protocol.Bridging;

/// <summary>Optional behaviour of <see cref="SocketBridge"/>; the defaults keep plain TCP semantics.</summary>
public sealed class SocketBridgeOptions
{
    /// <summary>The defaults: no idle timeout.</summary>
    public static SocketBridgeOptions Default { get; } = new();

    /// <summary>
    /// When neither direction has moved an octet for this long, the stream is reset with
    /// <see cref="Framing.ErrorCode.Timeout"/> and the socket aborted with RST. Default
    /// <see cref="TimeSpan.Zero"/> = off: TCP connections may legitimately idle for hours.
    /// Checked with a resolution of about a quarter of the timeout.
    /// </summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.Zero;

    /// <summary>
    /// True when the sockets handed to the bridge already close with RST (SO_LINGER 0, for
    /// instance inherited from the listening socket that accepted them): the bridge then skips
    /// setting it at the start, one system call per connection. Default false: the bridge sets it.
    /// </summary>
    public bool SocketsCloseWithReset { get; init; }

    /// <summary>The clock of <see cref="IdleTimeout"/>; tests may pass a fake one. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
