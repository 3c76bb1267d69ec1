using System.Diagnostics;

namespace ReverseTunnel.Reliability.Tests.Traffic;

/// <summary>
/// The load mix: <c>clients</c> workers, each connecting, running one transfer (a random kind, a
/// length from 1 B to 4 MiB on a log scale, through one of the tunnel ports), closing, and starting
/// over until the time is up. Every transfer is checked and counted in <see cref="Tally"/>.
/// </summary>
internal sealed class LoadMix(IReadOnlyList<int> ports, int clients, long minLength = 1, long maxLength = 4L * 1024 * 1024)
{
    /// <summary>Long enough for a 4 MiB transfer on a loaded 2-core machine behind a reconnect.</summary>
    public static readonly TimeSpan TransferDeadline = TimeSpan.FromSeconds(90);

    public TransferTally Tally { get; } = new();

    /// <summary>Transfers running right now.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    private int _inFlight;

    /// <summary>
    /// Runs for <paramref name="duration"/> (or until <paramref name="stop"/>), then lets every
    /// transfer in flight finish (each within <see cref="TransferDeadline"/>): none is cut short by
    /// the end of the run, so every one is judged.
    /// </summary>
    public Task RunAsync(TimeSpan duration, CancellationToken stop = default)
    {
        var elapsed = Stopwatch.StartNew();
        bool Running() => elapsed.Elapsed < duration && !stop.IsCancellationRequested;
        return Task.WhenAll(Enumerable.Range(0, clients).Select(worker => Task.Run(async () =>
        {
            var random = new Random(worker * 7919);
            TransferKind[] kinds = Enum.GetValues<TransferKind>();
            int round = 0;
            while (Running())
            {
                int port = ports[(worker + round++) % ports.Count];
                var spec = new TransferSpec(kinds[random.Next(kinds.Length)], TransferBatch.LogUniform(random, minLength, maxLength), (ulong)random.NextInt64());
                Interlocked.Increment(ref _inFlight);
                TransferResult result = await TransferClient.RunAsync(port, spec, TransferDeadline).ConfigureAwait(false);
                Interlocked.Decrement(ref _inFlight);
                Tally.Add(result);
                if (result.Outcome == TransferOutcome.Refused)
                {
                    // The port is not served for a moment (its agent is reconnecting): do not spin on it.
                    await Task.Delay(100).ConfigureAwait(false);
                }
            }
        })));
    }
}
