using System.Collections.Concurrent;
using System.Text;

namespace ReverseTunnel.Reliability.Tests.Traffic;

/// <summary>Thread-safe totals of many transfers, and the first few that broke the rule, for the test output.</summary>
internal sealed class TransferTally
{
    private const int KeptViolations = 20;

    private readonly long[] _outcomes = new long[Enum.GetValues<TransferOutcome>().Length];
    private readonly ConcurrentQueue<TransferResult> _violations = new();
    private long _bytesChecked;
    private long _bytesReceived;
    private TransferResult? _slowest;

    public long Transfers => _outcomes.Sum();

    public long BytesChecked => Interlocked.Read(ref _bytesChecked);

    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    public long Violations => Count(TransferOutcome.Truncated) + Count(TransferOutcome.Corrupted) + Count(TransferOutcome.Hung) + Count(TransferOutcome.OtherError);

    public IReadOnlyCollection<TransferResult> FirstViolations => _violations;

    /// <summary>The transfer that took longest (whatever its outcome).</summary>
    public TransferResult? Slowest => Volatile.Read(ref _slowest);

    public long Count(TransferOutcome outcome) => Interlocked.Read(ref _outcomes[(int)outcome]);

    public void Add(TransferResult result)
    {
        Interlocked.Increment(ref _outcomes[(int)result.Outcome]);
        Interlocked.Add(ref _bytesChecked, result.BytesChecked);
        Interlocked.Add(ref _bytesReceived, result.BytesReceived);
        TransferResult? slowest;
        while (((slowest = Volatile.Read(ref _slowest)) is null || result.Elapsed > slowest.Elapsed)
            && Interlocked.CompareExchange(ref _slowest, result, slowest) != slowest)
        {
        }

        if (!result.IsAllowed && _violations.Count < KeptViolations)
        {
            _violations.Enqueue(result);
        }
    }

    public void AddRange(IEnumerable<TransferResult> results)
    {
        foreach (TransferResult result in results)
        {
            Add(result);
        }
    }

    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append($"{Transfers} transfers: {Count(TransferOutcome.Completed)} completed, {Count(TransferOutcome.Reset)} reset, {Count(TransferOutcome.Refused)} refused, ");
        text.Append($"{Count(TransferOutcome.Truncated)} truncated, {Count(TransferOutcome.Corrupted)} corrupted, {Count(TransferOutcome.Hung)} hung, {Count(TransferOutcome.OtherError)} other errors; ");
        text.Append($"{BytesChecked:N0} octets checked by SHA-256");
        if (Slowest is { } slow)
        {
            text.Append($"; slowest: {slow}");
        }

        foreach (TransferResult violation in _violations)
        {
            text.Append("\n  VIOLATION ").Append(violation);
        }

        return text.ToString();
    }
}
