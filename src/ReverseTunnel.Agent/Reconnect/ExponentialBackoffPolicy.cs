namespace ReverseTunnel.Agent.Reconnect;

/// <summary>
/// Exponential backoff with full jitter: the n-th delay is drawn uniformly from
/// [<see cref="InitialDelay"/>, min(<see cref="MaxDelay"/>, InitialDelay × 2^n)].
/// </summary>
/// <remarks>
/// Full jitter (AWS, "Exponential Backoff And Jitter") spreads the agents that lost the same server
/// at the same moment over the whole window, so a restarted server is not hit by all of them at
/// once. The floor of <see cref="InitialDelay"/> (instead of zero) keeps a flapping server from
/// being retried in a tight loop. The first delay is exactly <see cref="InitialDelay"/>.
/// </remarks>
public sealed class ExponentialBackoffPolicy : IReconnectPolicy
{
    private const double Factor = 2.0;

    private readonly Random _random;
    private int _failures;

    /// <summary>Creates the policy.</summary>
    /// <param name="maxDelay">The cap. Default 30 s (RECONNECT_MAX_DELAY_SECONDS, 30-60 s).</param>
    /// <param name="initialDelay">The first delay. Default 1 s.</param>
    /// <param name="random">Source of jitter; tests pass a seeded or fixed one. Default <see cref="Random.Shared"/>.</param>
    public ExponentialBackoffPolicy(TimeSpan? maxDelay = null, TimeSpan? initialDelay = null, Random? random = null)
    {
        InitialDelay = initialDelay ?? TimeSpan.FromSeconds(1);
        MaxDelay = maxDelay ?? TimeSpan.FromSeconds(30);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(InitialDelay, TimeSpan.Zero, nameof(initialDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDelay, InitialDelay, nameof(maxDelay));
        _random = random ?? Random.Shared;
    }

    /// <summary>The first and shortest delay.</summary>
    public TimeSpan InitialDelay { get; }

    /// <inheritdoc />
    public TimeSpan MaxDelay { get; }

    /// <summary>The upper bound of the next delay: InitialDelay × 2^failures, capped at <see cref="MaxDelay"/>.</summary>
    public TimeSpan CurrentCeiling
    {
        get
        {
            double ceiling = InitialDelay.TotalMilliseconds * Math.Pow(Factor, Math.Min(_failures, 30));
            return TimeSpan.FromMilliseconds(Math.Min(ceiling, MaxDelay.TotalMilliseconds));
        }
    }

    /// <inheritdoc />
    public TimeSpan NextDelay()
    {
        TimeSpan ceiling = CurrentCeiling;
        _failures++;
        double span = (ceiling - InitialDelay).TotalMilliseconds;
        return InitialDelay + TimeSpan.FromMilliseconds(span * _random.NextDouble());
    }

    /// <inheritdoc />
    public void Reset() => _failures = 0;
}
