using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace ReverseTunnel.Server.Hosting;

/// <summary>
/// Kestrel's memory pool, with 64 KiB blocks instead of its default 4 KiB. Kestrel sizes every
/// buffer on the agent's connection by the pool's block: socket reads, and the segments its TLS layer
/// hands to SslStream one at a time. With 4 KiB blocks each WebSocket message of 32 KiB left ws-server
/// as eight 4 KiB TLS records in eight sendmsg calls (seen with strace under iperf3), and each read
/// took at most 4 KiB. With 64 KiB blocks a message is one write to SslStream: 16 KiB records, a
/// quarter of the system calls.
/// </summary>
/// <remarks>
/// Idle connections hold no block (Kestrel waits for data before it rents one), so the larger block
/// costs memory only while octets are in flight. Blocks are pinned, as Kestrel's own are, because
/// socket operations pin their buffers.
/// </remarks>
internal sealed class LargeBlockMemoryPool : MemoryPool<byte>
{
    /// <summary>Octets in one block: 64 KiB holds the largest WebSocket message ws-server sends (64 KiB by default, Session:MaxMessageSize).</summary>
    public const int BlockSize = 64 * 1024;

    // Blocks kept for reuse at most: 256 × 64 KiB = 16 MiB, enough for bursts on many agents at once.
    private const int MaxRetainedBlocks = 256;

    private readonly ConcurrentQueue<Block> _blocks = new();
    private int _retained;
    private bool _disposed;

    /// <inheritdoc />
    public override int MaxBufferSize => BlockSize;

    /// <inheritdoc />
    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, BlockSize);
        if (_blocks.TryDequeue(out Block? block))
        {
            Interlocked.Decrement(ref _retained);
            return block;
        }

        return new Block(this);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        _disposed = true;
        _blocks.Clear();
    }

    private void Return(Block block)
    {
        if (_disposed || Interlocked.Increment(ref _retained) > MaxRetainedBlocks)
        {
            Interlocked.Decrement(ref _retained);
            return; // Left to the GC.
        }

        _blocks.Enqueue(block);
    }

    private sealed class Block(LargeBlockMemoryPool pool) : IMemoryOwner<byte>
    {
        public Memory<byte> Memory { get; } = MemoryMarshal.CreateFromPinnedArray(GC.AllocateUninitializedArray<byte>(BlockSize, pinned: true), 0, BlockSize);

        public void Dispose() => pool.Return(this);
    }
}
