using System.Security.Cryptography;
using ReverseTunnel.Protocol.Framing;
using ReverseTunnel.Protocol.Multiplexing;
using ReverseTunnel.Protocol.Tests.Support;

namespace ReverseTunnel.Protocol.Tests.Multiplexing;

public class MuxSessionTests
{
    private static MuxSessionOptions SmallWindows() => new()
    {
        InitialStreamWindow = 16 * 1024,
        SessionWindow = 64 * 1024,
        MaxFramePayload = 4 * 1024,
        SendQueueLimit = 64 * 1024,
    };

    [Fact]
    public async Task OpenStreamAsync_DataBothWaysThroughSmallWindows_ArrivesComplete()
    {
        await using SessionPair pair = await SessionPair.CreateAsync(SmallWindows(), SmallWindows());
        (MuxStream serverEnd, MuxStream agentEnd) = await pair.OpenAsync();
        byte[] up = StreamExtensions.RandomBytes(3 * 1024 * 1024 + 17);
        byte[] down = StreamExtensions.RandomBytes(2 * 1024 * 1024 + 5);

        Task send1 = Task.Run(async () => { await serverEnd.WriteAsync(up); serverEnd.CompleteWrites(); });
        Task send2 = Task.Run(async () => { await agentEnd.WriteAsync(down); agentEnd.CompleteWrites(); });
        Task<byte[]> receivedByAgent = agentEnd.ReadToEndAsync();
        Task<byte[]> receivedByServer = serverEnd.ReadToEndAsync();
        await Task.WhenAll(send1, send2, receivedByAgent, receivedByServer).WithTimeout();

        Assert.Equal(StreamExtensions.Sha256(up), StreamExtensions.Sha256(await receivedByAgent));
        Assert.Equal(StreamExtensions.Sha256(down), StreamExtensions.Sha256(await receivedByServer));
        await Task.WhenAll(serverEnd.Completion, agentEnd.Completion).WithTimeout();
        Assert.Equal(0, pair.Server.ActiveStreams);
    }

    [Fact]
    public async Task OpenStreamAsync_TransportDeliversOneByteAtATime_FramesStillParse()
    {
        await using SessionPair pair = await SessionPair.CreateAsync(wrapAgentTransport: s => new OneByteStream(s));
        (MuxStream serverEnd, MuxStream agentEnd) = await pair.OpenAsync();
        byte[] data = StreamExtensions.RandomBytes(5000);

        await serverEnd.WriteAsync(data).WithTimeout();
        serverEnd.CompleteWrites();

        Assert.Equal(data, await agentEnd.ReadToEndAsync().WithTimeout());
    }

    [Fact]
    public async Task CompleteWrites_OneDirection_OtherDirectionKeepsFlowing()
    {
        await using SessionPair pair = await SessionPair.CreateAsync();
        (MuxStream serverEnd, MuxStream agentEnd) = await pair.OpenAsync();

        await serverEnd.WriteAsync("request"u8.ToArray()).WithTimeout();
        serverEnd.CompleteWrites();
        byte[] request = await agentEnd.ReadToEndAsync().WithTimeout();
        await agentEnd.WriteAsync("response after the request's FIN"u8.ToArray()).WithTimeout();
        agentEnd.CompleteWrites();

        Assert.Equal("request"u8.ToArray(), request);
        Assert.Equal("response after the request's FIN"u8.ToArray(), await serverEnd.ReadToEndAsync().WithTimeout());
    }

    [Fact]
    public async Task Reset_ByOneEnd_OtherEndReaderFailsInsteadOfEndingCleanly()
    {
        await using SessionPair pair = await SessionPair.CreateAsync();
        (MuxStream serverEnd, MuxStream agentEnd) = await pair.OpenAsync();
        await agentEnd.WriteAsync(new byte[100]).WithTimeout();

        agentEnd.Reset(ErrorCode.ConnectionReset);

        var ex = await Assert.ThrowsAsync<StreamResetException>(() => serverEnd.ReadToEndAsync()).WithTimeout();
        Assert.Equal(ErrorCode.ConnectionReset, ex.Code);
        Assert.True(ex.ByPeer);
        await Assert.ThrowsAsync<StreamResetException>(() => serverEnd.WriteAsync(new byte[1]).AsTask()).WithTimeout();
    }

    [Fact]
    public async Task StalledReader_OnOneStream_DoesNotStallAnotherAndStaysWithinItsWindow()
    {
        MuxSessionOptions options = SmallWindows();
        await using SessionPair pair = await SessionPair.CreateAsync(options, options);
        (MuxStream stalledServer, MuxStream stalledAgent) = await pair.OpenAsync();
        (MuxStream fastServer, MuxStream fastAgent) = await pair.OpenAsync();

        // The stalled stream's writer blocks once its window is used up; nobody reads on the agent.
        Task stalledWrite = stalledServer.WriteAsync(new byte[1024 * 1024]).AsTask();
        byte[] bulk = StreamExtensions.RandomBytes(4 * 1024 * 1024);
        Task fastWrite = Task.Run(async () => { await fastServer.WriteAsync(bulk); fastServer.CompleteWrites(); });

        Assert.Equal(StreamExtensions.Sha256(bulk), StreamExtensions.Sha256(await fastAgent.ReadToEndAsync().WithTimeout()));
        await fastWrite.WithTimeout();
        Assert.False(stalledWrite.IsCompleted);
        Assert.InRange(stalledAgent.BufferedBytes, 1, options.InitialStreamWindow);
        Assert.Equal(options.InitialStreamWindow, stalledAgent.ReceiveWindow); // a stalled reader's window never grows
    }

    [Fact]
    public async Task OpenStreamAsync_TwoHundredConcurrentStreams_AllChecksumsMatch()
    {
        await using SessionPair pair = await SessionPair.CreateAsync();
        var echoes = new List<Task>();
        _ = Task.Run(async () =>
        {
            await foreach (MuxStream agentEnd in pair.Accepted.ReadAllAsync())
            {
                echoes.Add(Task.Run(async () =>
                {
                    byte[] data = await agentEnd.ReadToEndAsync();
                    await agentEnd.WriteAsync(SHA256.HashData(data));
                    agentEnd.CompleteWrites();
                }));
            }
        });

        async Task RunOne()
        {
            MuxStream stream = await pair.Server.OpenStreamAsync();
            byte[] data = StreamExtensions.RandomBytes(Random.Shared.Next(1, 200_000));
            await stream.WriteAsync(data);
            stream.CompleteWrites();
            Assert.Equal(SHA256.HashData(data), await stream.ReadToEndAsync());
        }

        await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => Task.Run(RunOne))).WithTimeout();
    }

    [Fact]
    public async Task CloseAsync_StreamInFlight_FinishesThenPeerSeesGoAway()
    {
        await using SessionPair pair = await SessionPair.CreateAsync();
        (MuxStream serverEnd, MuxStream agentEnd) = await pair.OpenAsync();

        Task<SessionEnd> closing = pair.Server.CloseAsync(ErrorCode.NoError, "maintenance", TimeSpan.FromSeconds(20));
        await agentEnd.WriteAsync("last words"u8.ToArray()).WithTimeout();
        agentEnd.CompleteWrites();
        await serverEnd.WriteAsync("bye"u8.ToArray()).WithTimeout();
        serverEnd.CompleteWrites();
        Assert.Equal("last words"u8.ToArray(), await serverEnd.ReadToEndAsync().WithTimeout());
        Assert.Equal("bye"u8.ToArray(), await agentEnd.ReadToEndAsync().WithTimeout());

        SessionEnd serverResult = await closing.WithTimeout();
        SessionEnd agentResult = await pair.AgentRun.WithTimeout();
        Assert.Equal(SessionEndReason.LocalClose, serverResult.Reason);
        Assert.Equal(SessionEndReason.PeerGoAway, agentResult.Reason);
        Assert.Equal("maintenance", agentResult.Message);
        Assert.False(serverEnd.IsReset);
    }

    [Fact]
    public async Task CloseAsync_DrainTimeoutExpires_RemainingStreamsAreReset()
    {
        await using SessionPair pair = await SessionPair.CreateAsync();
        (MuxStream serverEnd, MuxStream agentEnd) = await pair.OpenAsync();

        await pair.Server.CloseAsync(ErrorCode.NoError, "shutdown", TimeSpan.FromMilliseconds(50)).WithTimeout();

        var ex = await Assert.ThrowsAsync<StreamResetException>(() => agentEnd.ReadToEndAsync()).WithTimeout();
        Assert.True(serverEnd.IsReset);
        Assert.Contains(ex.Code, new[] { ErrorCode.Shutdown, ErrorCode.ConnectionReset });
    }

    [Fact]
    public async Task TransportLost_OpenStreams_AreResetNotCompleted()
    {
        await using SessionPair pair = await SessionPair.CreateAsync();
        (MuxStream serverEnd, MuxStream agentEnd) = await pair.OpenAsync();
        await agentEnd.WriteAsync(new byte[10]).WithTimeout();

        pair.Agent.Abort(ErrorCode.InternalError, "test kills the agent");

        await Assert.ThrowsAsync<StreamResetException>(() => serverEnd.ReadToEndAsync()).WithTimeout();
        await pair.ServerRun.WithTimeout();
        await Assert.ThrowsAsync<SessionClosedException>(() => pair.Server.OpenStreamAsync().AsTask()).WithTimeout();
    }

    [Fact]
    public async Task StalledReaders_HoldingMostOfTheSessionWindow_FastStreamStillCompletes()
    {
        // Three stalled streams hold 60 of the 64 KiB session window: the 4 KiB left is less than
        // the quarter-window batch, so credit must be returned before a full batch has gathered.
        var options = new MuxSessionOptions { InitialStreamWindow = 20 * 1024, SessionWindow = 64 * 1024, MaxFramePayload = 4 * 1024 };
        await using SessionPair pair = await SessionPair.CreateAsync(options, options);
        var stalled = new List<MuxStream>();
        for (int i = 0; i < 3; i++)
        {
            (MuxStream serverEnd, MuxStream agentEnd) = await pair.OpenAsync();
            _ = serverEnd.WriteAsync(new byte[1024 * 1024]).AsTask();
            stalled.Add(agentEnd);
        }

        (MuxStream fastServer, MuxStream fastAgent) = await pair.OpenAsync();
        byte[] bulk = StreamExtensions.RandomBytes(1024 * 1024);
        Task fastWrite = Task.Run(async () => { await fastServer.WriteAsync(bulk); fastServer.CompleteWrites(); });

        Assert.Equal(StreamExtensions.Sha256(bulk), StreamExtensions.Sha256(await fastAgent.ReadToEndAsync().WithTimeout()));
        Assert.All(stalled, s => Assert.InRange(s.BufferedBytes, 1, options.InitialStreamWindow));
    }

    [Fact]
    public async Task Reset_WhileWriterWaitsForCredit_WriterFailsAtOnce()
    {
        var options = new MuxSessionOptions { InitialStreamWindow = 16 * 1024, SessionWindow = 64 * 1024 };
        await using SessionPair pair = await SessionPair.CreateAsync(options, options);
        (MuxStream serverEnd, MuxStream agentEnd) = await pair.OpenAsync();
        Task write = serverEnd.WriteAsync(new byte[1024 * 1024]).AsTask();
        // The agent never reads, so the writer ends up waiting for stream credit.
        var deadline = DateTime.UtcNow + TestTimeout.Value;
        while (agentEnd.BufferedBytes < options.InitialStreamWindow && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        serverEnd.Reset(ErrorCode.Cancel);

        await Assert.ThrowsAsync<StreamResetException>(() => write).WithTimeout();
    }
}
