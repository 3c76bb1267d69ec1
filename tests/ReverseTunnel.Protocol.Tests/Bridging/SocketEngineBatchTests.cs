using ReverseTunnel.Protocol.Bridging;
using ReverseTunnel.Protocol.Tests.Support;

namespace ReverseTunnel.Protocol.Tests.Bridging;

/// <summary>
/// <see cref="SocketEngineBatch"/> and the session writer's holding, in child processes with inline
/// socket completions on one engine thread (<see cref="SocketEngineBatchProbes"/>).
/// </summary>
public sealed class SocketEngineBatchTests
{
    [Fact]
    public async Task Yield_SeveralSocketsReadyInOneBatch_ResumesEachAfterTheLastCompletionOnTheSameThread()
    {
        string log = await ProbeProcess.RunAsync("batch-order");

        string reads = string.Join(' ', Enumerable.Range(0, 8).Select(i => $"read{i}"));
        string ends = string.Join(' ', Enumerable.Range(0, 8).Select(i => $"end{i}"));
        Assert.Equal($"{reads} {ends}", log);
    }

    [Fact]
    public async Task SessionWriter_FramesQueuedInOneBatch_ShareOneMessageOnlyWhenHolding()
    {
        string counts = await ProbeProcess.RunAsync("writer-hold");

        Assert.Equal("held=1 unheld=8", counts);
    }

    [Fact]
    public async Task Yield_TwoEngineThreads_EachThreadGetsABellOfItsOwnEngine()
    {
        string[] rounds = (await ProbeProcess.RunAsync("two-engines", engineThreads: 2)).Split(' ');

        // The first ask on each engine thread sets its bell up and finds none ("none"); from then on
        // every yield resumes on the thread that yielded, never on the other engine's.
        Assert.Equal(24, rounds.Length);
        Assert.DoesNotContain("other", rounds);
        Assert.All(rounds[4..], round => Assert.Equal("same", round));
    }

    [Fact]
    public async Task SessionWriter_CompletedWhileHolding_SendsEverythingAndEnds()
    {
        Assert.Equal("messages=1 ended", await ProbeProcess.RunAsync("held-complete"));
    }

    [Fact]
    public async Task TryGetCurrent_MainOrPoolThreadWhileEnginesHaveBells_ReturnsFalse()
    {
        // A ring from another thread would wake the engine thread: a hand-off, not a batch.
        Assert.Equal("none none", await ProbeProcess.RunAsync("off-engine"));
    }
}
