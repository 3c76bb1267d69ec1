namespace ReverseTunnel.Protocol.Framing;

/// <summary>Per-type flag bits. Bits not defined for a type are ignored by receivers and sent as zero.</summary>
[Flags]
public enum FrameFlags : byte
{
    /// <summary>No flags.</summary>
    None = 0,

    /// <summary>On <see cref="FrameType.Data"/>: the sender has no more bytes for this stream (TCP FIN).</summary>
    EndStream = 0x1,
}
