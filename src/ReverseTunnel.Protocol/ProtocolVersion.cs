namespace ReverseTunnel.Protocol;

/// <summary>
/// The protocol version travels in the WebSocket subprotocol (<c>Sec-WebSocket-Protocol</c>), so a
/// mismatch is detected during the upgrade, before a single frame is exchanged.
/// </summary>
public static class ProtocolVersion
{
    /// <summary>The only version this build speaks.</summary>
    public const int Current = 1;

    /// <summary>Prefix shared by every version's subprotocol name.</summary>
    public const string SubProtocolPrefix = "reverse-tunnel.v";

    /// <summary>The subprotocol for <see cref="Current"/>: <c>reverse-tunnel.v1</c>.</summary>
    public const string SubProtocol = "reverse-tunnel.v1";

    /// <summary>
    /// Parses a subprotocol name such as <c>reverse-tunnel.v2</c>. Returns false for names that are
    /// not ours at all.
    /// </summary>
    public static bool TryParse(string? subProtocol, out int version)
    {
        version = 0;
        if (subProtocol is null || !subProtocol.StartsWith(SubProtocolPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        return int.TryParse(subProtocol.AsSpan(SubProtocolPrefix.Length), System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture, out version) && version > 0;
    }
}
