using System.Net.Sockets;
using ReverseTunnel.Protocol.Framing;

namespace ReverseTunnel.Agent.Streams;

/// <summary>A connected socket, or the reset code and reason for a failed dial.</summary>
public sealed record DialResult(Socket? Socket, ErrorCode Code, string? Error)
{
    /// <summary>True when <see cref="Socket"/> is connected.</summary>
    public bool Succeeded => Socket is not null;
}
