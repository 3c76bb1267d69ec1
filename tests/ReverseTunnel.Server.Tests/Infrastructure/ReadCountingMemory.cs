using System.Buffers;

namespace ReverseTunnel.Server.Tests.Infrastructure;

/// <summary>
/// Memory that counts how often its octets are looked at: every <c>ReadOnlyMemory.Span</c> of it
/// goes through <see cref="GetSpan"/>. Lets a test see which token hashes a lookup compared.
/// </summary>
internal sealed class ReadCountingMemory(byte[] octets) : MemoryManager<byte>
{
    private int _reads;

    public int Reads => Volatile.Read(ref _reads);

    /// <summary>
    /// The octets as memory, made without a read: <see cref="MemoryManager{T}.Memory"/> calls
    /// <see cref="GetSpan"/> for the length, which would count as one.
    /// </summary>
    public ReadOnlyMemory<byte> Octets => CreateMemory(octets.Length);

    public override Span<byte> GetSpan()
    {
        Interlocked.Increment(ref _reads);
        return octets;
    }

    // Nothing pins a token hash; a lookup that did would be doing something unexpected.
    public override MemoryHandle Pin(int elementIndex = 0) => throw new NotSupportedException();

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}
