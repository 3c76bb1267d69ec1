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
}
