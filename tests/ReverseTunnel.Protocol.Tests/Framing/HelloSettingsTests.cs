using System.Buffers;
using ReverseTunnel.Protocol.Framing;

namespace ReverseTunnel.Protocol.Tests.Framing;

public class HelloSettingsTests
{
    private static readonly HelloSettings Defaults = new()
    {
        InitialStreamWindow = 1, MaxFramePayload = 2048, MaxConcurrentStreams = 3, SessionWindow = 4,
    };

    [Fact]
    public void Parse_EncodedSettings_RoundTrips()
    {
        var settings = new HelloSettings { InitialStreamWindow = 65536, MaxFramePayload = 16384, MaxConcurrentStreams = 100, SessionWindow = 1 << 20 };
        byte[] bytes = new byte[HelloSettings.EncodedLength];
        settings.WriteTo(bytes);

        Assert.Equal(settings, HelloSettings.Parse(new ReadOnlySequence<byte>(bytes), Defaults));
    }

    [Fact]
    public void Parse_UnknownIdentifier_IsIgnoredAndMissingOnesTakeDefaults()
    {
        byte[] bytes = [0x00, 0x99, 0, 0, 0, 7, 0x00, 0x03, 0, 0, 0, 42];

        HelloSettings parsed = HelloSettings.Parse(new ReadOnlySequence<byte>(bytes), Defaults);

        Assert.Equal(Defaults with { MaxConcurrentStreams = 42 }, parsed);
    }

    [Fact]
    public void Parse_LengthNotMultipleOfSix_ThrowsFrameSizeError()
    {
        var ex = Assert.Throws<ProtocolException>(() => HelloSettings.Parse(new ReadOnlySequence<byte>(new byte[7]), Defaults));
        Assert.Equal(ErrorCode.FrameSizeError, ex.Code);
    }

    [Theory]
    [InlineData(0x1, 0u)]
    [InlineData(0x4, 0x8000_0000u)]
    [InlineData(0x2, 100u)]
    public void Parse_OutOfRangeValue_Throws(ushort id, uint value)
    {
        byte[] bytes = [(byte)(id >> 8), (byte)id, (byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value];
        Assert.Throws<ProtocolException>(() => HelloSettings.Parse(new ReadOnlySequence<byte>(bytes), Defaults));
    }
}
