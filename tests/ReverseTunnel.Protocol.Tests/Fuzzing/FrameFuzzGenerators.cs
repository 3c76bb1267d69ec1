using FsCheck;
using FsCheck.Fluent;
using ReverseTunnel.Protocol.Framing;

namespace ReverseTunnel.Protocol.Tests.Fuzzing;

/// <summary>
/// Generators of hostile frame sequences: every type (and unknown ones), stream ids that were
/// never opened, frames after close, window overflow, zero-length and maximum-length payloads.
/// </summary>
internal static class FrameFuzzGenerators
{
    private static readonly uint[] StreamIds = [0, 1, 2, 3, 4, 5, 7, 9, 1001, 0x7FFF_FFFF];

    public static Gen<byte[]> Frame() =>
        from type in Gen.Elements<byte>(0, 0, 0, 1, 2, 2, 3, 4, 5, 6, 0x7F)
        from flags in Gen.Elements<byte>(0, 0, 1, 0xFF)
        from streamId in Gen.Elements(StreamIds)
        from payload in Payload(type)
        select Encode(type, flags, streamId, payload);

    public static Gen<byte[][]> Frames() => Gen.ListOf(Frame()).Select(l => l.Take(40).ToArray());

    public static Gen<byte[]> Bytes(int max) =>
        from length in Gen.Choose(0, max)
        from bytes in Gen.ArrayOf(Gen.Choose(0, 255).Select(i => (byte)i), length)
        select bytes;

    private static Gen<byte[]> Payload(byte type) => type switch
    {
        // WINDOW_UPDATE and RESET: usually the right 4 octets, with overflow-prone increments.
        2 or 3 => Gen.OneOf(
            Gen.Elements<uint>(0, 1, 4096, 0x7FFF_FFFF, 0xFFFF_FFFF).Select(v => new[] { (byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v }),
            Bytes(9)),
        // DATA: small, empty, or larger than windows and frame limits.
        0 => Gen.OneOf(Bytes(64), Gen.Constant(Array.Empty<byte>()), Gen.Choose(16_000, 70_000).Select(n => new byte[n])),
        _ => Bytes(40),
    };

    private static byte[] Encode(byte type, byte flags, uint streamId, byte[] payload)
    {
        byte[] frame = new byte[FrameHeader.Size + payload.Length];
        new FrameHeader(payload.Length, (FrameType)type, (FrameFlags)flags, streamId).WriteTo(frame);
        payload.CopyTo(frame, FrameHeader.Size);
        return frame;
    }
}
