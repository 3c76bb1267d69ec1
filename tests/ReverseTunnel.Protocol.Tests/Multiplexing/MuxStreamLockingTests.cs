using System.IO.Pipelines;
using ReverseTunnel.Protocol.Multiplexing;
using ReverseTunnel.Protocol.Tests.Support;

namespace ReverseTunnel.Protocol.Tests.Multiplexing;

/// <summary>
/// A stream's reader runs inline on the session's read loop. These tests check that no lock of the
/// stream is held meanwhile, so that a consumer with locks of its own (as SocketBridge has) cannot
/// deadlock against another thread that holds such a lock and calls into the stream.
/// </summary>
public class MuxStreamLockingTests
{
    [Fact]
    public async Task Input_ReaderWaitsForALockWhoseHolderCallsCompleteWrites_NeitherDeadlocks()
    {
        // Disposed only on success: after a deadlock the read loop never ends, so disposing would hang.
        SessionPair pair = await SessionPair.CreateAsync();
        (MuxStream serverEnd, MuxStream agentEnd) = await pair.OpenAsync();
        object consumerLock = new();
        using var readerRunning = new ManualResetEventSlim();

        Task reader = ReadOnceUnderLockAsync(agentEnd.Input, consumerLock, readerRunning);
        var holder = new Thread(() =>
        {
            lock (consumerLock)
            {
                // Wait until the reader runs (inline on the read loop) and is about to need this lock.
                if (readerRunning.Wait(TestTimeout.Value))
                {
                    agentEnd.CompleteWrites();
                }
            }
        }) { IsBackground = true };
        holder.Start();
        await serverEnd.WriteAsync("x"u8.ToArray()).WithTimeout();

        bool holderFinished = await Task.Run(() => holder.Join(TestTimeout.Value));

        Assert.True(holderFinished, "CompleteWrites blocked: the stream held its lock while its reader ran.");
        await reader.WithTimeout();
        Assert.Empty(await serverEnd.ReadToEndAsync().WithTimeout()); // The FIN arrived, after no data.
        await pair.DisposeAsync();
    }

    private static async Task ReadOnceUnderLockAsync(PipeReader input, object consumerLock, ManualResetEventSlim running)
    {
        // ConfigureAwait(false): the rest must run where the data arrives (the read loop), not on xunit's context.
        ReadResult result = await input.ReadAsync().ConfigureAwait(false);
        running.Set();
        lock (consumerLock)
        {
            input.AdvanceTo(result.Buffer.End);
        }
    }
}
