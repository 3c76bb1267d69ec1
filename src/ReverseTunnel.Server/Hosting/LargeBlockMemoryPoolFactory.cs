using System.Buffers;
using Microsoft.AspNetCore.Connections;

namespace ReverseTunnel.Server.Hosting;

/// <summary>Gives Kestrel <see cref="LargeBlockMemoryPool"/>s; registered in place of its default factory.</summary>
internal sealed class LargeBlockMemoryPoolFactory : IMemoryPoolFactory<byte>
{
    public MemoryPool<byte> Create(MemoryPoolOptions? options = null) => new LargeBlockMemoryPool();
}
