using System.Buffers.Binary;
using ReverseTunnel.Protocol.Framing;
using ReverseTunnel.Protocol.Multiplexing;
using ReverseTunnel.Protocol.Tests.Support;

namespace ReverseTunnel.Protocol.Tests.Multiplexing;

/// <summary>A peer that breaks the rules: session errors end the session, stream errors reset one stream only.</summary>
public class ProtocolViolationTests
{
    [Fact]
    public async Task RunAsync_FirstFrameIsNotHello_EndsWithProtocolErrorAndGoAway()
    {
        await using RawPeer peer = await RawPeer.CreateAsync();

        await peer.SendAsync(RawPeer.Frame(FrameType.Open, FrameFlags.None, 2, []));

        SessionEnd end = await peer.SessionRun.WithTimeout();
        Assert.Equal(SessionEndReason.ProtocolError, end.Reason);
        Assert.Contains("HELLO", end.Message);
        (FrameHeader Header, byte[] Payload)? goAway = await peer.ReceiveUntilAsync(FrameType.GoAway).WithTimeout();
        Assert.NotNull(goAway);
        Assert.Equal(ErrorCode.ProtocolError, (ErrorCode)BinaryPrimitives.ReadUInt32BigEndian(goAway.Value.Payload.AsSpan(4)));
    }

    [Fact]
    public async Task RunAsync_OversizedFrameHeader_EndsWithFrameSizeError()
    {
        await using RawPeer peer = await RawPeer.CreateAsync();
        byte[] header = new byte[FrameHeader.Size];
        new FrameHeader(FrameHeader.MaxLength, FrameType.Data, FrameFlags.None, 1).WriteTo(header);

        await peer.SendAsync(RawPeer.Hello(), header);

        SessionEnd end = await peer.SessionRun.WithTimeout();
        Assert.Equal(ErrorCode.FrameSizeError, end.Code);
    }

    [Fact]
    public async Task RunAsync_DataOnStreamNeverOpened_EndsWithProtocolError()
    {
        await using RawPeer peer = await RawPeer.CreateAsync();

        await peer.SendAsync(RawPeer.Hello(), RawPeer.Frame(FrameType.Data, FrameFlags.None, 41, [1, 2]));

        SessionEnd end = await peer.SessionRun.WithTimeout();
        Assert.Equal(ErrorCode.ProtocolError, end.Code);
        Assert.Contains("never opened", end.Message);
    }

    [Fact]
    public async Task RunAsync_DataBeyondStreamWindow_ResetsThatStreamOnlyAndSessionReadsOn()
    {
        var options = new MuxSessionOptions { InitialStreamWindow = 16 * 1024, SessionWindow = 1024 * 1024 };
        await using RawPeer peer = await RawPeer.CreateAsync(options);
        await peer.SendAsync(RawPeer.Hello());
        MuxStream first = await peer.Session.OpenStreamAsync().WithTimeout();
        MuxStream second = await peer.Session.OpenStreamAsync().WithTimeout();

        await peer.SendAsync(
            RawPeer.Frame(FrameType.Data, FrameFlags.None, first.Id, new byte[16 * 1024]),
            RawPeer.Frame(FrameType.Data, FrameFlags.None, first.Id, new byte[1]),
            RawPeer.Frame(FrameType.Data, FrameFlags.EndStream, second.Id, "fine"u8));

        (FrameHeader Header, byte[] Payload)? reset = await peer.ReceiveUntilAsync(FrameType.Reset).WithTimeout();
        Assert.Equal(first.Id, reset!.Value.Header.StreamId);
        Assert.Equal(ErrorCode.FlowControlError, (ErrorCode)BinaryPrimitives.ReadUInt32BigEndian(reset.Value.Payload));
        Assert.Equal("fine"u8.ToArray(), await second.ReadToEndAsync().WithTimeout());
        Assert.False(peer.SessionRun.IsCompleted);
    }

    [Fact]
    public async Task RunAsync_DataBeyondSessionWindow_EndsWithFlowControlError()
    {
        var options = new MuxSessionOptions { InitialStreamWindow = 16 * 1024, SessionWindow = 64 * 1024, MaxFramePayload = 16 * 1024 };
        await using RawPeer peer = await RawPeer.CreateAsync(options);
        await peer.SendAsync(RawPeer.Hello());
        var streams = new List<MuxStream>();
        for (int i = 0; i < 5; i++)
        {
            streams.Add(await peer.Session.OpenStreamAsync().WithTimeout());
        }

        // Each frame fits its stream's window, but five of them pass the 64 KiB session window.
        await peer.SendAsync(streams.Select(s => RawPeer.Frame(FrameType.Data, FrameFlags.None, s.Id, new byte[16 * 1024])).ToArray());

        SessionEnd end = await peer.SessionRun.WithTimeout();
        Assert.Equal(ErrorCode.FlowControlError, end.Code);
        Assert.All(streams, s => Assert.True(s.IsReset));
    }

    [Fact]
    public async Task RunAsync_OpenWithServerParityFromAgent_EndsWithProtocolError()
    {
        await using RawPeer peer = await RawPeer.CreateAsync();

        await peer.SendAsync(RawPeer.Hello(), RawPeer.Frame(FrameType.Open, FrameFlags.None, 1, []));

        Assert.Equal(ErrorCode.ProtocolError, (await peer.SessionRun.WithTimeout()).Code);
    }

    [Fact]
    public async Task RunAsync_AgentOpensStreamOnServerThatAcceptsNone_StreamIsRefused()
    {
        await using RawPeer peer = await RawPeer.CreateAsync();

        await peer.SendAsync(RawPeer.Hello(), RawPeer.Frame(FrameType.Open, FrameFlags.None, 2, []));

        (FrameHeader Header, byte[] Payload)? reset = await peer.ReceiveUntilAsync(FrameType.Reset).WithTimeout();
        Assert.Equal(2u, reset!.Value.Header.StreamId);
        Assert.Equal(ErrorCode.RefusedStream, (ErrorCode)BinaryPrimitives.ReadUInt32BigEndian(reset.Value.Payload));
        Assert.False(peer.SessionRun.IsCompleted);
    }

    [Fact]
    public async Task RunAsync_UnknownFrameType_IsSkipped()
    {
        await using RawPeer peer = await RawPeer.CreateAsync();
        await peer.SendAsync(RawPeer.Hello(), RawPeer.Frame((FrameType)0x7F, FrameFlags.None, 0, [1, 2, 3]));
        MuxStream stream = await peer.Session.OpenStreamAsync().WithTimeout();

        await peer.SendAsync(RawPeer.Frame(FrameType.Data, FrameFlags.EndStream, stream.Id, "ok"u8));

        Assert.Equal("ok"u8.ToArray(), await stream.ReadToEndAsync().WithTimeout());
    }

    [Fact]
    public async Task RunAsync_BlockedWithPayload_EndsWithFrameSizeError()
    {
        await using RawPeer peer = await RawPeer.CreateAsync();
        await peer.SendAsync(RawPeer.Hello());
        MuxStream stream = await peer.Session.OpenStreamAsync().WithTimeout();

        await peer.SendAsync(RawPeer.Frame(FrameType.Blocked, FrameFlags.None, stream.Id, [0, 0, 0, 1]));

        SessionEnd end = await peer.SessionRun.WithTimeout();
        Assert.Equal(ErrorCode.FrameSizeError, end.Code);
        Assert.Contains("BLOCKED payload must be empty", end.Message);
    }

    [Fact]
    public async Task RunAsync_BlockedOnStreamZero_EndsWithProtocolError()
    {
        await using RawPeer peer = await RawPeer.CreateAsync();

        await peer.SendAsync(RawPeer.Hello(), RawPeer.Frame(FrameType.Blocked, FrameFlags.None, 0, []));

        SessionEnd end = await peer.SessionRun.WithTimeout();
        Assert.Equal(ErrorCode.ProtocolError, end.Code);
        Assert.Contains("Blocked needs a stream id other than 0", end.Message);
    }

    [Fact]
    public async Task RunAsync_NoHelloInTime_EndsWithTimeout()
    {
        await using RawPeer peer = await RawPeer.CreateAsync(new MuxSessionOptions { HelloTimeout = TimeSpan.FromMilliseconds(200) });

        SessionEnd end = await peer.SessionRun.WithTimeout();

        Assert.Equal(ErrorCode.Timeout, end.Code);
    }
}
