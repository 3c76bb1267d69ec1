using System.Buffers;
using System.IO.Pipelines;
using System.Security.Cryptography;
using ReverseTunnel.Protocol.Multiplexing;

namespace ReverseTunnel.Protocol.Tests.Support;

internal static class StreamExtensions
{
    /// <summary>Reads a stream's input to its end (the peer's FIN) and returns everything.</summary>
    public static async Task<byte[]> ReadToEndAsync(this MuxStream stream)
    {
        var collected = new ArrayBufferWriter<byte>();
        PipeReader input = stream.Input;
        while (true)
        {
            ReadResult result = await input.ReadAsync();
            foreach (ReadOnlyMemory<byte> segment in result.Buffer)
            {
                collected.Write(segment.Span);
            }

            input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                await input.CompleteAsync();
                return collected.WrittenSpan.ToArray();
            }
        }
    }

    public static byte[] RandomBytes(int count)
    {
        byte[] data = new byte[count];
        Random.Shared.NextBytes(data);
        return data;
    }

    public static string Sha256(ReadOnlySpan<byte> data) => Convert.ToHexString(SHA256.HashData(data));
}
