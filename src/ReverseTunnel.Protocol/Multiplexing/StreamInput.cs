using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace ReverseTunnel.Protocol.Multiplexing;

/// <summary>
/// The reading side of a <see cref="MuxStream"/>: a <see cref="PipeReader"/> that turns every octet
/// the consumer advances past into credit for the peer, and that fails at once with
/// <see cref="Framing.StreamResetException"/> when the stream is reset, even with data still buffered.
/// </summary>
internal sealed class StreamInput(MuxStream stream, PipeReader inner) : PipeReader
{
    private ReadOnlySequence<byte> _lastBuffer;

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        stream.ThrowIfReset();
        ReadResult result = await inner.ReadAsync(cancellationToken).ConfigureAwait(false);
        stream.ThrowIfReset();
        _lastBuffer = result.Buffer;
        return result;
    }

    public override bool TryRead(out ReadResult result)
    {
        stream.ThrowIfReset();
        if (!inner.TryRead(out result))
        {
            return false;
        }

        _lastBuffer = result.Buffer;
        return true;
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        long count = _lastBuffer.Slice(_lastBuffer.Start, consumed).Length;
        _lastBuffer = default;
        inner.AdvanceTo(consumed, examined);
        if (count > 0)
        {
            stream.OnConsumed((int)count);
        }
    }

    public override void CancelPendingRead() => inner.CancelPendingRead();

    public override void Complete(Exception? exception = null)
    {
        inner.Complete(exception);
        stream.OnInputCompleted();
    }
}
