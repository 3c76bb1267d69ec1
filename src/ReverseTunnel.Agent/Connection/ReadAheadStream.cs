namespace ReverseTunnel.Agent.Connection;

/// <summary>
/// The agent's connection to ws-server, read ahead in 64 KiB gulps. SslStream asks its inner stream
/// for one TLS record at a time, after a zero-byte read: two receive system calls per 16 KiB record
/// (strace under iperf3 -R). Read through this stream, one receive takes up to four records and the
/// zero-byte read is answered from the buffer.
/// </summary>
/// <remarks>
/// One reader at a time (SslStream reads serially); writes pass straight through. A zero-byte read
/// (SslStream's way of waiting without a buffer) with nothing buffered reads into the buffer rather
/// than waiting with a zero-byte receive, which costs a peek now and another after the wake-up: the
/// agent has one such connection, so its 64 KiB stay allocated.
/// </remarks>
internal sealed class ReadAheadStream(Stream inner) : Stream
{
    // Four 16 KiB TLS records; larger reads measured no better on loopback.
    private const int BufferSize = 64 * 1024;

    private byte[]? _buffer;
    private int _offset;
    private int _count;
    private bool _endOfStream;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        if (_count > 0 || _endOfStream)
        {
            return CopyBuffered(destination.Span);
        }

        if (destination.Length >= BufferSize)
        {
            return await inner.ReadAsync(destination, cancellationToken).ConfigureAwait(false);
        }

        _buffer ??= GC.AllocateUninitializedArray<byte>(BufferSize);
        int read = await inner.ReadAsync(_buffer, cancellationToken).ConfigureAwait(false);
        _offset = 0;
        _count = read;
        _endOfStream = read == 0;
        return CopyBuffered(destination.Span);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> destination)
    {
        if (_count > 0 || _endOfStream)
        {
            return CopyBuffered(destination);
        }

        if (destination.Length >= BufferSize)
        {
            return inner.Read(destination);
        }

        _buffer ??= GC.AllocateUninitializedArray<byte>(BufferSize);
        int read = inner.Read(_buffer);
        _offset = 0;
        _count = read;
        _endOfStream = read == 0;
        return CopyBuffered(destination);
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default) =>
        inner.WriteAsync(source, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        inner.WriteAsync(buffer, offset, count, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

    public override void Write(ReadOnlySpan<byte> source) => inner.Write(source);

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => inner.Flush();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return inner.DisposeAsync();
    }

    private int CopyBuffered(Span<byte> destination)
    {
        int n = Math.Min(_count, destination.Length);
        _buffer.AsSpan(_offset, n).CopyTo(destination);
        _offset += n;
        _count -= n;
        return n;
    }
}
