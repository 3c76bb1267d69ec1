using System.Buffers;
using ReverseTunnel.Protocol.Framing;
using ReverseTunnel.Protocol.Tests.Support;

namespace ReverseTunnel.Protocol.Tests.Framing;

public class FrameReaderTests
{
    private const int MaxPayload = 64 * 1024;

    [Fact]
    public void WriteTo_ThenRead_RoundTripsEveryField()
    {
        var header = new FrameHeader(0xABCDEF, FrameType.Reset, FrameFlags.EndStream, 0x7FFF_FFFE);
        byte[] bytes = new byte[FrameHeader.Size];
        header.WriteTo(bytes);

        Assert.Equal(new byte[] { 0xAB, 0xCD, 0xEF, 0x03, 0x01, 0x7F, 0xFF, 0xFF, 0xFE }, bytes);
        Assert.Equal(header, FrameHeader.Read(bytes));
    }

    [Fact]
    public void Read_ReservedBitSet_IsIgnored()
    {
        byte[] bytes = [0, 0, 0, 0, 0, 0x80, 0, 0, 5];
        Assert.Equal(5u, FrameHeader.Read(bytes).StreamId);
    }

    [Fact]
    public void TryReadFrame_InputSplitAtEveryByteBoundary_YieldsTheSameFrames()
    {
        byte[] stream = Encode(
            (new FrameHeader(3, FrameType.Data, FrameFlags.None, 1), [1, 2, 3]),
            (new FrameHeader(0, FrameType.Data, FrameFlags.EndStream, 1), []),
            (new FrameHeader(4, FrameType.WindowUpdate, FrameFlags.None, 0), [0, 0, 1, 0]),
            (new FrameHeader(300, FrameType.Data, FrameFlags.None, 3), StreamExtensions.RandomBytes(300)));
        List<(FrameHeader, byte[])> expected = ParseAll(new ReadOnlySequence<byte>(stream));
        Assert.Equal(4, expected.Count);

        for (int split = 0; split <= stream.Length; split++)
        {
            ReadOnlySequence<byte> sequence = TestSequence.Create(stream[..split], stream[split..]);
            AssertSameFrames(expected, ParseAll(sequence));
        }
    }

    [Fact]
    public void TryReadFrame_OneByteSegments_YieldsTheSameFrames()
    {
        byte[] stream = Encode(
            (new FrameHeader(2, FrameType.Data, FrameFlags.None, 7), [9, 8]),
            (new FrameHeader(4, FrameType.Reset, FrameFlags.None, 7), [0, 0, 0, 6]));
        ReadOnlySequence<byte> sequence = TestSequence.Create(stream.Select(b => new[] { b }).ToArray());

        AssertSameFrames(ParseAll(new ReadOnlySequence<byte>(stream)), ParseAll(sequence));
    }

    [Fact]
    public void TryReadFrame_IncompleteFrame_ReturnsFalseAndConsumesNothing()
    {
        byte[] stream = Encode((new FrameHeader(10, FrameType.Data, FrameFlags.None, 1), new byte[10]));
        for (int length = 0; length < stream.Length; length++)
        {
            var buffer = new ReadOnlySequence<byte>(stream, 0, length);
            Assert.False(FrameReader.TryReadFrame(ref buffer, MaxPayload, out _, out _));
            Assert.Equal(length, buffer.Length);
        }
    }

    [Fact]
    public void TryReadFrame_OversizedLength_ThrowsFrameSizeErrorBeforePayloadArrives()
    {
        byte[] headerOnly = new byte[FrameHeader.Size];
        new FrameHeader(MaxPayload + 1, FrameType.Data, FrameFlags.None, 1).WriteTo(headerOnly);
        var buffer = new ReadOnlySequence<byte>(headerOnly);

        var ex = Assert.Throws<ProtocolException>(() => FrameReader.TryReadFrame(ref buffer, MaxPayload, out _, out _));
        Assert.Equal(ErrorCode.FrameSizeError, ex.Code);
        Assert.Contains((MaxPayload + 1).ToString(), ex.Message);
    }

    [Fact]
    public void WriteTo_LengthBeyond24Bits_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            new FrameHeader(FrameHeader.MaxLength + 1, FrameType.Data, FrameFlags.None, 1).WriteTo(new byte[FrameHeader.Size]));
    }

    private static byte[] Encode(params (FrameHeader Header, byte[] Payload)[] frames)
    {
        var output = new List<byte>();
        foreach ((FrameHeader header, byte[] payload) in frames)
        {
            byte[] h = new byte[FrameHeader.Size];
            header.WriteTo(h);
            output.AddRange(h);
            output.AddRange(payload);
        }

        return [.. output];
    }

    private static List<(FrameHeader, byte[])> ParseAll(ReadOnlySequence<byte> buffer)
    {
        var frames = new List<(FrameHeader, byte[])>();
        while (FrameReader.TryReadFrame(ref buffer, MaxPayload, out FrameHeader header, out ReadOnlySequence<byte> payload))
        {
            frames.Add((header, payload.ToArray()));
        }

        Assert.Equal(0, buffer.Length);
        return frames;
    }

    private static void AssertSameFrames(List<(FrameHeader, byte[])> expected, List<(FrameHeader, byte[])> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Item1, actual[i].Item1);
            Assert.Equal(expected[i].Item2, actual[i].Item2);
        }
    }
}
