using System.Buffers;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using ReverseTunnel.Protocol.Framing;
using ReverseTunnel.Protocol.Tests.Support;

namespace ReverseTunnel.Protocol.Tests.Fuzzing;

/// <summary>Random bytes, cut at random places: the reader parses frames or says why not, nothing else.</summary>
public class FrameReaderPropertyTests
{
    private const int MaxPayload = 32 * 1024;

    [Property(MaxTest = 500)]
    public Property TryReadFrame_ArbitraryBytesArbitrarySplits_ParsesOrRejectsCleanly() =>
        Prop.ForAll(
            Arb.From(from bytes in FrameFuzzGenerators.Bytes(300) from split in Gen.Choose(0, 300) select (bytes, split)),
            input => ParseEverything(input.bytes, Math.Min(input.split, input.bytes.Length)));

    [Property(MaxTest = 300)]
    public Property TryReadFrame_WellFormedFramesAnySplit_ConsumesExactlyTheInput() =>
        Prop.ForAll(
            Arb.From(from frames in FrameFuzzGenerators.Frames() from split in Gen.Choose(0, 1000) select (frames, split)),
            input =>
            {
                byte[] all = input.frames.Where(f => f.Length - FrameHeader.Size <= MaxPayload).SelectMany(f => f).ToArray();
                int split = Math.Min(input.split, all.Length);
                ReadOnlySequence<byte> buffer = TestSequence.Create(all[..split], all[split..]);
                int count = 0;
                while (FrameReader.TryReadFrame(ref buffer, MaxPayload, out _, out _))
                {
                    count++;
                }

                return buffer.Length == 0 && count == input.frames.Count(f => f.Length - FrameHeader.Size <= MaxPayload);
            });

    private static bool ParseEverything(byte[] bytes, int split)
    {
        ReadOnlySequence<byte> buffer = TestSequence.Create(bytes[..split], bytes[split..]);
        long consumed = 0;
        try
        {
            while (FrameReader.TryReadFrame(ref buffer, MaxPayload, out FrameHeader header, out ReadOnlySequence<byte> payload))
            {
                consumed += FrameHeader.Size + payload.Length;
                if (payload.Length != header.Length || header.Length > MaxPayload)
                {
                    return false;
                }
            }
        }
        catch (ProtocolException ex) when (ex.Code == ErrorCode.FrameSizeError)
        {
            return true;
        }

        return consumed + buffer.Length == bytes.Length && buffer.Length < FrameHeader.Size + MaxPayload;
    }
}
