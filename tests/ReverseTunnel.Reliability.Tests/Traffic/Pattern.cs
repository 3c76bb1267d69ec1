using System.Buffers.Binary;
using System.Security.Cryptography;

namespace ReverseTunnel.Reliability.Tests.Traffic;

/// <summary>
/// The deterministic bytes of a transfer: octet i of seed s depends only on (s, i), so the target
/// and the client produce the same stream in chunks of any size, and the expected SHA-256 needs no
/// stored copy. SplitMix64 per 8-octet block: fast, and no two seeds look alike.
/// </summary>
internal static class Pattern
{
    /// <summary>Fills <paramref name="destination"/> with the pattern of <paramref name="seed"/> from <paramref name="offset"/> on.</summary>
    public static void Fill(ulong seed, long offset, Span<byte> destination)
    {
        Span<byte> block = stackalloc byte[8];
        long position = offset;
        int written = 0;
        while (written < destination.Length)
        {
            long index = position >> 3;
            int within = (int)(position & 7);
            if (within == 0 && destination.Length - written >= 8)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(destination[written..], Mix(seed, (ulong)index));
                written += 8;
                position += 8;
                continue;
            }

            BinaryPrimitives.WriteUInt64LittleEndian(block, Mix(seed, (ulong)index));
            int take = Math.Min(8 - within, destination.Length - written);
            block.Slice(within, take).CopyTo(destination[written..]);
            written += take;
            position += take;
        }
    }

    /// <summary>The SHA-256 (upper-case hex) of the first <paramref name="length"/> octets of the pattern.</summary>
    public static string Sha256(ulong seed, long length)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = new byte[64 * 1024];
        for (long offset = 0; offset < length;)
        {
            int chunk = (int)Math.Min(buffer.Length, length - offset);
            Fill(seed, offset, buffer.AsSpan(0, chunk));
            hash.AppendData(buffer, 0, chunk);
            offset += chunk;
        }

        return Convert.ToHexString(hash.GetHashAndReset());
    }

    private static ulong Mix(ulong seed, ulong index)
    {
        ulong z = seed + ((index + 1) * 0x9E3779B97F4A7C15UL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
