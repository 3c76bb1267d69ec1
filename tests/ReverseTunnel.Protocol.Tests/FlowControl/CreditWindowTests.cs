using System.Runtime.CompilerServices;
using ReverseTunnel.Protocol.FlowControl;
using ReverseTunnel.Protocol.Tests.Support;

namespace ReverseTunnel.Protocol.Tests.FlowControl;

public class CreditWindowTests
{
    [Fact]
    public async Task AcquireAsync_CreditAvailable_GrantsAtMostMaxAtOnce()
    {
        var window = new CreditWindow(100);

        Assert.Equal(60, await window.AcquireAsync(60));
        Assert.Equal(40, await window.AcquireAsync(60));
        Assert.Equal(0, window.Available);
    }

    [Fact]
    public async Task Release_SeveralWaiters_ServesThemInArrivalOrder()
    {
        var window = new CreditWindow(0);
        ValueTask<int> first = window.AcquireAsync(10);
        ValueTask<int> second = window.AcquireAsync(10);
        ValueTask<int> third = window.AcquireAsync(10);

        window.Release(15);

        Assert.Equal(10, await first.WithTimeout());
        Assert.Equal(5, await second.WithTimeout());
        Assert.False(third.IsCompleted);
        window.Release(1);
        Assert.Equal(1, await third.WithTimeout());
    }

    [Fact]
    public async Task AcquireAsync_WaiterQueued_NewcomerDoesNotJumpTheLine()
    {
        var window = new CreditWindow(0);
        ValueTask<int> waiting = window.AcquireAsync(10);

        Assert.Equal(0, window.TryAcquire(5));
        window.Release(3);
        Assert.Equal(3, await waiting.WithTimeout());
    }

    [Fact]
    public async Task Close_PendingWaiter_FailsWithTheGivenException()
    {
        var window = new CreditWindow(0);
        ValueTask<int> waiting = window.AcquireAsync(10);
        var reason = new IOException("gone");

        window.Close(reason);

        Assert.Same(reason, await Assert.ThrowsAsync<IOException>(() => waiting.AsTask()).WithTimeout());
        Assert.Same(reason, await Assert.ThrowsAsync<IOException>(() => window.AcquireAsync(1).AsTask()));
    }

    [Fact]
    public async Task Close_ReasonFactoryWithNobodyWaiting_MakesTheReasonOnlyWhenAskedAndOnce()
    {
        var window = new CreditWindow(5);
        var made = new StrongBox<int>(0);

        window.Close(static s => new IOException($"closed #{++((StrongBox<int>)s).Value}"), made);
        Assert.Equal(0, made.Value);
        Assert.Equal(0, window.TryAcquire(1));
        Assert.False(window.TryAcquireExactly(1));
        Assert.Equal(0, made.Value);

        IOException first = await Assert.ThrowsAsync<IOException>(() => window.AcquireAsync(1).AsTask());
        IOException second = await Assert.ThrowsAsync<IOException>(() => window.AcquireExactlyAsync(1).AsTask());
        Assert.Same(first, second);
        Assert.Equal("closed #1", first.Message);
        Assert.Equal(1, made.Value);
    }

    [Fact]
    public async Task Close_ReasonFactoryWithWaiters_FailsEachWithTheSameMadeReason()
    {
        var window = new CreditWindow(0);
        ValueTask<int> a = window.AcquireAsync(1);
        ValueTask b = window.AcquireExactlyAsync(4);

        window.Close(static s => new IOException((string)s), "gone");

        IOException fromA = await Assert.ThrowsAsync<IOException>(() => a.AsTask()).WithTimeout();
        IOException fromB = await Assert.ThrowsAsync<IOException>(() => b.AsTask()).WithTimeout();
        Assert.Same(fromA, fromB);
        Assert.Equal("gone", fromA.Message);
    }

    [Fact]
    public async Task Close_ReasonFactoryThrowsWithAWaiter_LeavesTheWindowOpenAndTheWaiterInLine()
    {
        var window = new CreditWindow(0);
        ValueTask<int> waiting = window.AcquireAsync(3);

        Assert.Throws<InvalidOperationException>(() => window.Close(static _ => throw new InvalidOperationException("factory"), "state"));

        Assert.False(waiting.IsCompleted);
        window.Release(3);
        Assert.Equal(3, await waiting.AsTask().WithTimeout());
    }

    [Fact]
    public async Task AcquireAsync_Cancelled_LeavesTheLineAndLaterWaitersAreServed()
    {
        var window = new CreditWindow(0);
        using var cts = new CancellationTokenSource();
        ValueTask<int> cancelled = window.AcquireAsync(10, cts.Token);
        ValueTask<int> next = window.AcquireAsync(10);

        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.AsTask()).WithTimeout();
        window.Release(4);

        Assert.Equal(4, await next.WithTimeout());
    }

    [Fact]
    public void TryAdd_PastTwoToThe31_IsRejectedAndAddsNothing()
    {
        var window = new CreditWindow(int.MaxValue - 10);

        Assert.False(window.TryAdd(11));
        Assert.True(window.TryAdd(10));
        Assert.Equal(int.MaxValue, window.Available);
    }

    [Fact]
    public async Task AcquireExactlyAsync_PartialCreditFree_WaitsAndBlocksThoseBehind()
    {
        var window = new CreditWindow(10);
        ValueTask exact = window.AcquireExactlyAsync(15);
        ValueTask<int> behind = window.AcquireAsync(1);

        Assert.False(exact.IsCompleted);
        Assert.False(behind.IsCompleted);
        window.Release(5);

        await exact.AsTask().WithTimeout();
        Assert.False(behind.IsCompleted);
        window.Release(1);
        Assert.Equal(1, await behind.WithTimeout());
    }

    [Fact]
    public void TryAcquireExactly_NotEnough_TakesNothing()
    {
        var window = new CreditWindow(10);

        Assert.False(window.TryAcquireExactly(11));
        Assert.True(window.TryAcquireExactly(10));
        Assert.Equal(0, window.Available);
    }

    [Fact]
    public async Task Release_WhileTheServedWaitersTokenIsCancelled_NeitherSideBlocksAndNoCreditIsLost()
    {
        // Regression: ServeWaiters disposed the served waiter's registration under its lock while the
        // cancellation callback, already running, waited for that lock: both threads hung forever.
        // The race window is narrow, so it is run many times on two dedicated threads.
        const int Iterations = 20_000;
        using var start = new Barrier(2);
        var window = new CreditWindow(0);
        var outcomes = new int[2]; // [0] served, [1] cancelled
        var cancelSources = new CancellationTokenSource[Iterations];
        var waiters = new Task<int>[Iterations];
        for (int i = 0; i < Iterations; i++)
        {
            cancelSources[i] = new CancellationTokenSource();
        }

        var canceller = new Thread(() =>
        {
            for (int i = 0; i < Iterations; i++)
            {
                start.SignalAndWait();
                cancelSources[i].Cancel();
                start.SignalAndWait();
            }
        }) { IsBackground = true };
        var releaser = new Thread(() =>
        {
            for (int i = 0; i < Iterations; i++)
            {
                waiters[i] = window.AcquireAsync(10, cancelSources[i].Token).AsTask();
                start.SignalAndWait();
                window.Release(10);
                start.SignalAndWait();
            }
        }) { IsBackground = true };
        canceller.Start();
        releaser.Start();

        bool finished = await Task.Run(() => canceller.Join(TestTimeout.Value) && releaser.Join(TestTimeout.Value));

        Assert.True(finished, "Release and a cancellation callback deadlocked on the window's lock.");
        long granted = 0;
        foreach (Task<int> waiter in waiters)
        {
            try
            {
                granted += await waiter.WithTimeout();
                outcomes[0]++;
            }
            catch (OperationCanceledException)
            {
                outcomes[1]++;
            }
        }

        // Every release was either granted to its waiter or left in the window: none vanished.
        Assert.Equal(10L * Iterations, granted + window.Available);
        Assert.Equal(Iterations, outcomes[0] + outcomes[1]);
    }
}
