using ReverseTunnel.Protocol.Bridging;

namespace ReverseTunnel.Server.Tunnels;

/// <summary>Per-connection limits of the tunnel ports.</summary>
/// <param name="MaxStreamsPerSession"><c>Tunnel:MaxStreamsPerSession</c>.</param>
/// <param name="Bridge">The bridge's options (<c>Tunnel:IdleStreamTimeout</c>).</param>
internal sealed record StreamLimits(int MaxStreamsPerSession, SocketBridgeOptions Bridge)
{
    /// <summary>The defaults of <see cref="Configuration.TunnelOptions"/>.</summary>
    public static StreamLimits Default { get; } = new(16_384, SocketBridgeOptions.Default);
}
