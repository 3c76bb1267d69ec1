using ReverseTunnel.Protocol.Framing;

namespace ReverseTunnel.Protocol.Multiplexing;

/// <summary>
/// Limits and windows of one session. Every value is what this side grants or accepts; the peer
/// announces its own in HELLO. Defaults suit a LAN or a WAN of up to ~50 ms.
/// </summary>
public sealed class MuxSessionOptions
{
    /// <summary>
    /// Credit granted to the peer for each stream, in octets: the most one stream may have buffered
    /// here. Default 256 KiB; range 16 KiB..16 MiB. One stream cannot go faster than window ÷ RTT
    /// (256 KiB at 50 ms ≈ 5 MB/s), so raise it for long, fat links.
    /// </summary>
    public int InitialStreamWindow { get; set; } = 256 * 1024;

    /// <summary>
    /// How far a stream's window may grow, in octets. When the peer says a stream is blocked on
    /// credit (BLOCKED) while the local reader keeps up, the window is too small for the link, and
    /// it doubles, up to this. The initial window alone held one stream over a 50 ms link to
    /// 36 Mbit/s (window ÷ RTT); ssh -R, with its fixed 2 MiB, reached 300 (docs/performance.md).
    /// Default 4 MiB; range 16 KiB..1 GiB. Used as at most half of <see cref="SessionWindow"/> and
    /// never below <see cref="InitialStreamWindow"/>. All streams of a session together grow by at
    /// most half of <see cref="SessionWindow"/>: readers that stop after their windows grew then
    /// hold at most that half beyond their initial windows, and the rest still flow.
    /// </summary>
    public int MaxStreamWindow { get; set; } = 4 * 1024 * 1024;

    /// <summary>
    /// Credit granted to the peer for all streams together: the bound on octets buffered here for
    /// this session. Returned as data is consumed. Default 8 MiB; range 64 KiB..1 GiB; must be at
    /// least twice <see cref="InitialStreamWindow"/> so one stalled reader cannot stall the rest.
    /// </summary>
    public int SessionWindow { get; set; } = 8 * 1024 * 1024;

    /// <summary>Largest DATA payload sent or accepted. Default 32 KiB; range 1 KiB..1 MiB.</summary>
    public int MaxFramePayload { get; set; } = 32 * 1024;

    /// <summary>Streams the peer may have open at once. Default 65,536; range 1..1,000,000.</summary>
    public int MaxConcurrentStreams { get; set; } = 65_536;

    /// <summary>
    /// Largest WebSocket message this side sends (frames are batched up to it). Default 64 KiB,
    /// which measured ~10% faster than 16 KiB messages over wss; range 16 KiB..1 MiB.
    /// </summary>
    public int MaxMessageSize { get; set; } = 64 * 1024;

    /// <summary>
    /// DATA octets allowed to wait in the local send queue. Small, so that a frame of a new stream
    /// never waits behind much bulk data (a 256 KiB bound held p99 near 1.5 ms under load, against
    /// ~6 ms without). Default 256 KiB; range 64 KiB..64 MiB.
    /// </summary>
    public int SendQueueLimit { get; set; } = 256 * 1024;

    /// <summary>Time allowed for the peer's HELLO. Default 10 s.</summary>
    public TimeSpan HelloTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Returns every problem with these options, naming the setting; empty when valid.</summary>
    public IReadOnlyList<string> Validate(string prefix = "")
    {
        var errors = new List<string>();
        Range(errors, prefix + nameof(InitialStreamWindow), InitialStreamWindow, 16 * 1024, 16 * 1024 * 1024);
        Range(errors, prefix + nameof(MaxStreamWindow), MaxStreamWindow, 16 * 1024, 1024 * 1024 * 1024);
        Range(errors, prefix + nameof(SessionWindow), SessionWindow, 64 * 1024, 1024 * 1024 * 1024);
        Range(errors, prefix + nameof(MaxFramePayload), MaxFramePayload, HelloSettings.MinFramePayload, 1024 * 1024);
        Range(errors, prefix + nameof(MaxConcurrentStreams), MaxConcurrentStreams, 1, 1_000_000);
        Range(errors, prefix + nameof(MaxMessageSize), MaxMessageSize, 16 * 1024, 1024 * 1024);
        Range(errors, prefix + nameof(SendQueueLimit), SendQueueLimit, 64 * 1024, 64 * 1024 * 1024);
        if ((long)SessionWindow < 2L * InitialStreamWindow)
        {
            errors.Add($"{prefix}{nameof(SessionWindow)} ({SessionWindow}) must be at least twice {prefix}{nameof(InitialStreamWindow)} ({InitialStreamWindow}), or one stalled reader could stall every stream.");
        }

        if (HelloTimeout <= TimeSpan.Zero)
        {
            errors.Add($"{prefix}{nameof(HelloTimeout)} must be positive.");
        }

        return errors;
    }

    /// <summary>The most a stream's receive window grows to: see <see cref="MaxStreamWindow"/>.</summary>
    internal int StreamWindowLimit => Math.Max(InitialStreamWindow, Math.Min(MaxStreamWindow, SessionWindow / 2));

    internal HelloSettings ToHello() => new()
    {
        InitialStreamWindow = InitialStreamWindow,
        MaxFramePayload = MaxFramePayload,
        MaxConcurrentStreams = MaxConcurrentStreams,
        SessionWindow = SessionWindow,
    };

    private static void Range(List<string> errors, string name, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            errors.Add($"{name} is {value}; it must be between {min} and {max}.");
        }
    }
}
