using System.Buffers.Binary;
using ReverseTunnel.Protocol.Framing;
using ReverseTunnel.Protocol.Multiplexing;
using ReverseTunnel.Protocol.Tests.Support;

namespace ReverseTunnel.Protocol.Tests.Multiplexing;

/// <summary>BLOCKED, and a stream window that grows when the window and not the reader is the limit.</summary>
public class StreamWindowGrowthTests
{
    private const int Initial = 16 * 1024;

    private static MuxSessionOptions Windows() => new()
    {
        InitialStreamWindow = Initial,
        MaxStreamWindow = 4 * Initial,
        SessionWindow = 1024 * 1024,
    };

    [Fact]
    public async Task Blocked_ReaderKeepsUp_WindowDoublesAndTheDifferenceIsGranted()
    {
        await using RawPeer peer = await RawPeer.CreateAsync(Windows());
        await peer.SendAsync(RawPeer.Hello());
        MuxStream stream = await peer.Session.OpenStreamAsync().WithTimeout();

        await peer.SendAsync(Blocked(stream.Id));

        var frames = await peer.ReceiveThroughAsync(h => h.Type == FrameType.WindowUpdate && h.StreamId == stream.Id).WithTimeout();
        Assert.Equal(Initial, BinaryPrimitives.ReadInt32BigEndian(frames![^1].Payload));
        Assert.Equal(2 * Initial, stream.ReceiveWindow);

        // The grown window is real: the peer may now have twice the initial window in flight.
        await peer.SendAsync(RawPeer.Frame(FrameType.Data, FrameFlags.EndStream, stream.Id, new byte[2 * Initial]));
        Assert.Equal(2 * Initial, (await stream.ReadToEndAsync().WithTimeout()).Length);
    }

    [Fact]
    public async Task Blocked_Repeatedly_WindowStopsAtMaxStreamWindow()
    {
        await using RawPeer peer = await RawPeer.CreateAsync(Windows());
        await peer.SendAsync(RawPeer.Hello());
        MuxStream stream = await peer.Session.OpenStreamAsync().WithTimeout();
        MuxStream marker = await peer.Session.OpenStreamAsync().WithTimeout();

        // The overrun on the second stream is answered with RESET after whatever the BLOCKEDs caused.
        await peer.SendAsync(Blocked(stream.Id), Blocked(stream.Id), Blocked(stream.Id), Blocked(stream.Id), Overrun(marker.Id));

        var frames = await peer.ReceiveThroughAsync(h => h.Type == FrameType.Reset && h.StreamId == marker.Id).WithTimeout();
        int[] increments = frames!
            .Where(f => f.Header.Type == FrameType.WindowUpdate && f.Header.StreamId == stream.Id)
            .Select(f => BinaryPrimitives.ReadInt32BigEndian(f.Payload))
            .ToArray();
        Assert.Equal([Initial, 2 * Initial], increments);
        Assert.Equal(4 * Initial, stream.ReceiveWindow);
    }

    [Fact]
    public async Task Blocked_ReaderHasHalfTheWindowUnread_NoCreditAndWindowUnchanged()
    {
        await using RawPeer peer = await RawPeer.CreateAsync(Windows());
        await peer.SendAsync(RawPeer.Hello());
        MuxStream stream = await peer.Session.OpenStreamAsync().WithTimeout();
        MuxStream marker = await peer.Session.OpenStreamAsync().WithTimeout();

        await peer.SendAsync(
            RawPeer.Frame(FrameType.Data, FrameFlags.None, stream.Id, new byte[Initial / 2]),
            Blocked(stream.Id),
            Overrun(marker.Id));

        var frames = await peer.ReceiveThroughAsync(h => h.Type == FrameType.Reset && h.StreamId == marker.Id).WithTimeout();
        Assert.DoesNotContain(frames!, f => f.Header.Type == FrameType.WindowUpdate && f.Header.StreamId == stream.Id);
        Assert.Equal(Initial, stream.ReceiveWindow);
        Assert.Equal(Initial / 2, stream.BufferedBytes);
    }

    [Fact]
    public async Task Blocked_SessionGrowthBudgetSpent_NoGrowthUntilAGrownStreamCloses()
    {
        // Session window 4 × initial: each stream grows to 2 × initial at most, and all streams
        // together by 2 × initial, so two grown streams spend the budget.
        var options = new MuxSessionOptions { InitialStreamWindow = Initial, MaxStreamWindow = 4 * Initial, SessionWindow = 4 * Initial };
        await using RawPeer peer = await RawPeer.CreateAsync(options);
        await peer.SendAsync(RawPeer.Hello());
        MuxStream first = await peer.Session.OpenStreamAsync().WithTimeout();
        MuxStream second = await peer.Session.OpenStreamAsync().WithTimeout();
        MuxStream third = await peer.Session.OpenStreamAsync().WithTimeout();
        MuxStream marker = await peer.Session.OpenStreamAsync().WithTimeout();

        await peer.SendAsync(Blocked(first.Id), Blocked(second.Id), Blocked(third.Id), Overrun(marker.Id));
        await peer.ReceiveThroughAsync(h => h.Type == FrameType.Reset && h.StreamId == marker.Id).WithTimeout();

        Assert.Equal([2 * Initial, 2 * Initial, Initial], [first.ReceiveWindow, second.ReceiveWindow, third.ReceiveWindow]);

        // The first stream ends; its growth goes back to the budget, and the third may grow.
        await peer.SendAsync(RawPeer.Frame(FrameType.Reset, FrameFlags.None, first.Id, [0, 0, 0, 8]));
        await first.Completion.WithTimeout();
        await peer.SendAsync(Blocked(third.Id));
        var frames = await peer.ReceiveThroughAsync(h => h.Type == FrameType.WindowUpdate && h.StreamId == third.Id).WithTimeout();
        Assert.Equal(Initial, BinaryPrimitives.ReadInt32BigEndian(frames![^1].Payload));
        Assert.Equal(2 * Initial, third.ReceiveWindow);
    }

    [Fact]
    public async Task WriteAsync_OutOfStreamCredit_SendsOneBlockedAfterTheDataThatUsedIt()
    {
        await using RawPeer peer = await RawPeer.CreateAsync();
        await peer.SendAsync(RawPeer.Hello(streamWindow: Initial));
        MuxStream stream = await peer.Session.OpenStreamAsync().WithTimeout();

        Task write = stream.WriteAsync(new byte[Initial + 4096]).AsTask();

        var first = await peer.ReceiveThroughAsync(h => h.Type == FrameType.Blocked).WithTimeout();
        Assert.Equal(stream.Id, first![^1].Header.StreamId);
        Assert.Equal(Initial, DataOctets(first, stream.Id));
        Assert.False(write.IsCompleted);

        await peer.SendAsync(WindowUpdate(stream.Id, 4096));
        int received = 0;
        var rest = await peer.ReceiveThroughAsync((h, p) => h.Type == FrameType.Data && h.StreamId == stream.Id && (received += p.Length) == 4096).WithTimeout();
        await write.WithTimeout();
        Assert.DoesNotContain(rest!, f => f.Header.Type == FrameType.Blocked);
    }

    [Fact]
    public async Task WriteAsync_ReaderKeepsUpThroughSessions_WindowGrowsAndDataArrivesIntact()
    {
        MuxSessionOptions options = Windows();
        options.MaxFramePayload = 4 * 1024;
        await using SessionPair pair = await SessionPair.CreateAsync(options, options);
        (MuxStream serverEnd, MuxStream agentEnd) = await pair.OpenAsync();
        byte[] data = StreamExtensions.RandomBytes(4 * 1024 * 1024);

        Task send = Task.Run(async () => { await serverEnd.WriteAsync(data); serverEnd.CompleteWrites(); });
        byte[] received = await agentEnd.ReadToEndAsync().WithTimeout();
        await send.WithTimeout();

        Assert.Equal(StreamExtensions.Sha256(data), StreamExtensions.Sha256(received));
        Assert.InRange(agentEnd.ReceiveWindow, 2 * Initial, options.MaxStreamWindow);
    }

    [Theory]
    [InlineData(256 * 1024, 4 * 1024 * 1024, 8 * 1024 * 1024, 4 * 1024 * 1024)]
    [InlineData(16 * 1024, 4 * 1024 * 1024, 64 * 1024, 32 * 1024)] // at most half the session window
    [InlineData(1024 * 1024, 512 * 1024, 8 * 1024 * 1024, 1024 * 1024)] // never below the initial window
    public void StreamWindowLimit_Settings_MaxStreamWindowWithinHalfTheSessionAndAtLeastTheInitial(int initial, int max, int session, int expected)
    {
        var options = new MuxSessionOptions { InitialStreamWindow = initial, MaxStreamWindow = max, SessionWindow = session };

        Assert.Empty(options.Validate());
        Assert.Equal(expected, options.StreamWindowLimit);
    }

    [Fact]
    public void Validate_MaxStreamWindowOutOfRange_NamesTheSetting()
    {
        var options = new MuxSessionOptions { MaxStreamWindow = 1024 };

        Assert.Contains(options.Validate("Tunnel:Session:"), e => e.StartsWith("Tunnel:Session:MaxStreamWindow is 1024", StringComparison.Ordinal));
    }

    private static byte[] Blocked(uint streamId) => RawPeer.Frame(FrameType.Blocked, FrameFlags.None, streamId, []);

    /// <summary>One octet more than the initial window: the session answers with RESET on that stream.</summary>
    private static byte[] Overrun(uint streamId) => RawPeer.Frame(FrameType.Data, FrameFlags.None, streamId, new byte[Initial + 1]);

    private static byte[] WindowUpdate(uint streamId, int increment)
    {
        byte[] payload = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(payload, increment);
        return RawPeer.Frame(FrameType.WindowUpdate, FrameFlags.None, streamId, payload);
    }

    private static int DataOctets(List<(FrameHeader Header, byte[] Payload)> frames, uint streamId) =>
        frames.Where(f => f.Header.Type == FrameType.Data && f.Header.StreamId == streamId).Sum(f => f.Payload.Length);
}
