using System.Collections.Concurrent;

namespace ReverseTunnel.Protocol.Buffers;

/// <summary>
/// Process-wide pools of equal-sized frame buffers, one per size. ArrayPool.Shared thrashed under
/// many small writes (~800 KB of garbage per MB moved); a pool of one size did not. The pools are
/// shared by every session, so the memory they retain does not grow with the number of agents.
/// </summary>
internal sealed class FrameBufferPool
{
    // What one size's pool keeps for reuse at most: 16 MiB, so that a burst leaves a bounded heap.
    private const long RetainedBytesPerSize = 16L * 1024 * 1024;

    private static readonly ConcurrentDictionary<int, FrameBufferPool> Pools = new();

    private readonly ConcurrentQueue<byte[]> _buffers = new();
    private readonly int _maxRetained;
    private int _count;

    private FrameBufferPool(int bufferSize)
    {
        BufferSize = bufferSize;
        _maxRetained = (int)Math.Max(16, RetainedBytesPerSize / bufferSize);
    }

    /// <summary>Size of every buffer handed out.</summary>
    public int BufferSize { get; }

    /// <summary>The shared pool of buffers of exactly <paramref name="bufferSize"/> octets.</summary>
    public static FrameBufferPool ForSize(int bufferSize) => Pools.GetOrAdd(bufferSize, static size => new FrameBufferPool(size));

    /// <summary>Gives a buffer back to the pool of its size.</summary>
    public static void ReturnShared(byte[] buffer) => ForSize(buffer.Length).Return(buffer);

    /// <summary>Gets a buffer of <see cref="BufferSize"/> octets.</summary>
    public byte[] Rent()
    {
        if (_buffers.TryDequeue(out byte[]? buffer))
        {
            Interlocked.Decrement(ref _count);
            return buffer;
        }

        return GC.AllocateUninitializedArray<byte>(BufferSize);
    }

    /// <summary>Gives a buffer back; beyond the retention cap it is left to the GC.</summary>
    public void Return(byte[] buffer)
    {
        if (buffer.Length != BufferSize)
        {
            ReturnShared(buffer);
            return;
        }

        if (Interlocked.Increment(ref _count) > _maxRetained)
        {
            Interlocked.Decrement(ref _count);
            return;
        }

        _buffers.Enqueue(buffer);
    }
}
