namespace ReverseTunnel.Reliability.Tests.Traffic;

/// <summary>Runs transfers side by side against one tunnel port.</summary>
internal static class TransferBatch
{
    /// <summary>Starts every transfer at once; the tasks complete as they end.</summary>
    public static Task<TransferResult>[] Start(int port, IEnumerable<TransferSpec> specs, TimeSpan deadline) =>
        [.. specs.Select(spec => Task.Run(() => TransferClient.RunAsync(port, spec, deadline)))];

    /// <summary>Runs every transfer at once and waits for all of them.</summary>
    public static Task<TransferResult[]> RunAsync(int port, IEnumerable<TransferSpec> specs, TimeSpan deadline) =>
        Task.WhenAll(Start(port, specs, deadline));

    /// <summary>
    /// <paramref name="count"/> transfers cycling through the three kinds, of lengths spread evenly on
    /// a log scale between <paramref name="minLength"/> and <paramref name="maxLength"/>.
    /// </summary>
    public static IEnumerable<TransferSpec> Mixed(int count, long minLength, long maxLength, int seed)
    {
        var random = new Random(seed);
        TransferKind[] kinds = Enum.GetValues<TransferKind>();
        for (int i = 0; i < count; i++)
        {
            yield return new TransferSpec(kinds[i % kinds.Length], LogUniform(random, minLength, maxLength), (ulong)random.NextInt64());
        }
    }

    /// <summary>A length between <paramref name="min"/> and <paramref name="max"/>, uniform on a log scale: many small, some large.</summary>
    public static long LogUniform(Random random, long min, long max)
    {
        double low = Math.Log(min);
        double high = Math.Log(max);
        return Math.Clamp((long)Math.Round(Math.Exp(low + (random.NextDouble() * (high - low)))), min, max);
    }
}
