using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using ReverseTunnel.Protocol.Framing;
using ReverseTunnel.Protocol.Multiplexing;
using ReverseTunnel.Protocol.Tests.Support;

namespace ReverseTunnel.Protocol.Tests.Fuzzing;

/// <summary>
/// A real server session fed random frame sequences by a hostile agent. Whatever arrives, the
/// session either reads on or ends with a protocol error; it never throws, hangs or leaks a stream.
/// </summary>
public class SessionPropertyTests
{
    private static readonly ErrorCode[] SessionErrors =
        [ErrorCode.ProtocolError, ErrorCode.FrameSizeError, ErrorCode.FlowControlError, ErrorCode.ConnectionReset, ErrorCode.NoError, ErrorCode.Timeout];

    [Property(MaxTest = 60)]
    public Property RunAsync_RandomFramesAfterHello_EndsCleanlyAndLeaksNoStream() =>
        Prop.ForAll(Arb.From(FrameFuzzGenerators.Frames()), frames => RunCase(frames, sendHello: true));

    [Property(MaxTest = 30)]
    public Property RunAsync_RandomFramesWithoutHello_EndsWithProtocolError() =>
        Prop.ForAll(Arb.From(FrameFuzzGenerators.Frames().Where(f => f.Length > 0 && f[0][3] != (byte)FrameType.Hello)), frames =>
        {
            SessionEnd end = RunCaseAsync(frames, sendHello: false).GetAwaiter().GetResult();
            return end.Reason == SessionEndReason.ProtocolError;
        });

    private static bool RunCase(byte[][] frames, bool sendHello)
    {
        SessionEnd end = RunCaseAsync(frames, sendHello).GetAwaiter().GetResult();
        return SessionErrors.Contains(end.Code);
    }

    internal static async Task<SessionEnd> RunCaseAsync(byte[][] frames, bool sendHello)
    {
        var options = new MuxSessionOptions { InitialStreamWindow = 16 * 1024, SessionWindow = 64 * 1024, MaxFramePayload = 16 * 1024 };
        await using RawPeer peer = await RawPeer.CreateAsync(options);
        if (sendHello)
        {
            await peer.SendAsync(RawPeer.Hello());
            for (int i = 0; i < 3; i++)
            {
                await peer.Session.OpenStreamAsync().WithTimeout(); // ids 1, 3, 5 exist
            }
        }

        try
        {
            foreach (byte[] frame in frames)
            {
                await peer.SendAsync(frame);
            }
        }
        catch (Exception ex) when (ex is System.Net.WebSockets.WebSocketException or IOException or OperationCanceledException)
        {
            // The session already closed on us: fine, it is allowed to.
        }

        // A clean close, not an abort: an RST would discard frames the session has not read yet, and
        // the case would pass without the session ever seeing its last frames.
        try
        {
            using var timeout = new CancellationTokenSource(TestTimeout.Value);
            await peer.Socket.CloseOutputAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, null, timeout.Token);
        }
        catch (Exception ex) when (ex is System.Net.WebSockets.WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The session already closed the connection.
        }

        SessionEnd end = await peer.SessionRun.WithTimeout();
        if (peer.Session.ActiveStreams != 0)
        {
            throw new InvalidOperationException($"{peer.Session.ActiveStreams} stream(s) left after the session ended ({end}).");
        }

        return end;
    }
}
