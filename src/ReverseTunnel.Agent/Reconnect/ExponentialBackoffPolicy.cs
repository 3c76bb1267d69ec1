namespace ReverseTunnel.Agent.Reconnect;

/// <summary>
/// Exponential backoff with full jitter: the first delay (also the first after <see cref="Reset"/>)
/// is drawn uniformly from [InitialDelay / 2, InitialDelay]; the n-th after it from
/// [<see cref="InitialDelay"/>, min(<see cref="MaxDelay"/>, InitialDelay × 2^n)].
/// </summary>
/// <remarks>
/// Full jitter (AWS, "Exponential Backoff And Jitter") spreads the agents that lost the same server
/// at the same moment over the whole window, so a restarted server is not hit by all of them at
/// once. That matters most for the first delay: after a server restart every agent had a healthy
/// session and starts over from it, so it is jittered too (a fixed 1 s would bring them all back in
/// the same instant). Its floor of InitialDelay / 2, and InitialDelay after it (instead of zero),
/// keep a flapping server from being retried in a tight loop.
/// </remarks>
public sealed class ExponentialBackoffPolicy : IReconnectPolicy
{
    private const double Factor = 2.0;

    private readonly Random _random;
    private int _failures;

    /// <summary>Creates the policy.</summary>
    /// <param name="maxDelay">The cap. Default 30 s (RECONNECT_MAX_DELAY_SECONDS, 30-60 s).</param>
    /// <param name="initialDelay">The ceiling of the first delay, floor of the later ones. Default 1 s.</param>
    /// <param name="random">Source of jitter; tests pass a seeded or fixed one. Default <see cref="Random.Shared"/>.</param>
    public ExponentialBackoffPolicy(TimeSpan? maxDelay = null, TimeSpan? initialDelay = null, Random? random = null)
    {
        InitialDelay = initialDelay ?? TimeSpan.FromSeconds(1);
        MaxDelay = maxDelay ?? TimeSpan.FromSeconds(30);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(InitialDelay, TimeSpan.Zero, nameof(initialDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDelay, InitialDelay, nameof(maxDelay));
        _random = random ?? Random.Shared;
    }

    /// <summary>The ceiling of the first delay (the first is drawn from [InitialDelay / 2, InitialDelay]) and the floor of the later ones.</summary>
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

    /// <summary>The lower bound of the next delay: InitialDelay / 2 for the first, InitialDelay after.</summary>
    public TimeSpan CurrentFloor => _failures == 0 ? InitialDelay / 2 : InitialDelay;

    /// <inheritdoc />
    public TimeSpan NextDelay()
    {
        TimeSpan floor = CurrentFloor;
        TimeSpan ceiling = CurrentCeiling;
        _failures++;
        double span = (ceiling - floor).TotalMilliseconds;
        return floor + TimeSpan.FromMilliseconds(span * _random.NextDouble());
    }

    /// <inheritdoc />
    public void Reset() => _failures = 0;
}
