using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace ReverseTunnel.Protocol.Bridging;

/// <summary>
/// Runs work at the end of the socket-engine thread's current batch of epoll events: the moment at
/// which sshd's poll loop writes out everything one round produced. With inline completions
/// (<see cref="InlineSocketCompletions"/>) each ready socket's continuation runs in turn on the
/// engine thread, and .NET offers no hook after the last of them. This class makes one: a connected
/// pair of Unix sockets whose receive is registered with the same engine (the "bell"). Ringing it (a
/// one-octet send) makes that engine's next epoll_wait return at once with the bell among its events,
/// so whatever waits on it runs after the events already returned, on the same thread, and no other
/// thread is woken. Cost per ring: three system calls (send, the read, the read that finds nothing).
/// </summary>
internal sealed class SocketEngineBatch : IDisposable
{
    // The runtime's name for its epoll threads (SocketAsyncEngine). Only there does deferring pay:
    // from any other thread a ring would wake the engine thread, a hand-off dearer than the sends saved.
    private const string EngineThreadName = ".NET Sockets";

    // Rounds of candidates a thread may start before it gives up holding (and sends at once, as
    // without this class). One round is normally enough; see Candidates.
    private const int MaxRoundsPerThread = 3;

    private static readonly byte[] Ring = [1];

    [ThreadStatic] private static SocketEngineBatch? t_batch;
    [ThreadStatic] private static Round? t_round;
    [ThreadStatic] private static int t_rounds;
    [ThreadStatic] private static bool t_checked;
    [ThreadStatic] private static bool t_unusable;

    private readonly Socket _bell;
    private readonly Socket _ringer;
    private readonly Round _round;
    private readonly byte[] _received = new byte[64];
    private readonly Lock _lock = new();
    private List<Action> _pending = [];
    private List<Action>? _spare = [];
    private bool _armed;
    private volatile bool _broken;

    private SocketEngineBatch(Socket bell, Socket ringer, Round round)
    {
        _bell = bell;
        _ringer = ringer;
        _round = round;
    }

    /// <summary>
    /// The current thread's batch, when it is a socket-engine thread that runs completions inline
    /// and has a bell; otherwise false, and the caller does its work now. The first call on an engine
    /// thread starts setting its bell up and returns false.
    /// </summary>
    public static bool TryGetCurrent([NotNullWhen(true)] out SocketEngineBatch? batch)
    {
        batch = t_batch;
        if (batch is not null)
        {
            if (!batch._broken)
            {
                return true;
            }

            t_batch = null;
            batch.Dispose();
            batch = null;
        }

        if (t_unusable)
        {
            return false;
        }

        if (!t_checked)
        {
            t_checked = true;
            t_unusable = !OperatingSystem.IsLinux() || !InlineSocketCompletions.IsEnabled ||
                Thread.CurrentThread.Name != EngineThreadName;
            if (t_unusable)
            {
                return false;
            }
        }

        if (t_round is { IsDone: false })
        {
            return false;
        }

        if (++t_rounds > MaxRoundsPerThread)
        {
            t_unusable = true;
            return false;
        }

        t_round = Round.Start();
        return false;
    }

    /// <summary>The awaitable that resumes its caller at the end of the current event batch.</summary>
    public Awaitable Yield() => new(this);

    public void Dispose()
    {
        _broken = true;
        _bell.Dispose();
        _ringer.Dispose();
    }

    private static SocketEngineBatch? TryCreate(Round round)
    {
        // An abstract-namespace address (leading NUL): nothing on disk, gone when the sockets close.
        var endPoint = new UnixDomainSocketEndPoint("\0reverse-tunnel-batch-" + Guid.NewGuid().ToString("N"));
        Socket? ringer = null;
        try
        {
            using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(endPoint);
            listener.Listen(1);
            ringer = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            ringer.Connect(endPoint);
            return new SocketEngineBatch(listener.Accept(), ringer, round);
        }
        catch (SocketException)
        {
            ringer?.Dispose();
            return null;
        }
    }

    private void Add(Action continuation)
    {
        bool ring;
        lock (_lock)
        {
            _pending.Add(continuation);
            ring = !_armed;
            _armed = true;
        }

        if (ring && !TryRing())
        {
            RunPending();
        }
    }

    private bool TryRing()
    {
        try
        {
            return !_broken && _ringer.Send(Ring) == 1;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            _broken = true;
            return false;
        }
    }

    /// <summary>
    /// Waits for the first ring (<see cref="Round.Start"/> rings once this has returned, so that the
    /// answer runs as the engine's completion rather than in line on the ringing thread): it is
    /// answered on the engine this bell was registered with, which is how a bell learns its thread.
    /// Then serves rings until the sockets close.
    /// </summary>
    private async Task RunAsync()
    {
        bool answered = false;
        try
        {
            ValueTask<int> received = _bell.ReceiveAsync(_received.AsMemory(), SocketFlags.None);
            if (await received.ConfigureAwait(false) == 0)
            {
                Dispose();
                return;
            }

            answered = true;
            _round.OneAnswered();
            if (!Adopt())
            {
                Dispose();
                return;
            }

            received = _bell.ReceiveAsync(_received.AsMemory(), SocketFlags.None);
            while (await received.ConfigureAwait(false) > 0)
            {
                // Registered again before the deferred work runs, so that a ring from that work is
                // seen by the next epoll_wait rather than consumed by this loop at once.
                received = _bell.ReceiveAsync(_received.AsMemory(), SocketFlags.None);
                RunPending();
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            if (!answered)
            {
                _round.OneAnswered();
            }
        }

        _broken = true;
        RunPending();
    }

    /// <summary>Becomes the bell of the engine thread that answered, unless it already has one.</summary>
    private bool Adopt()
    {
        if (t_batch is { _broken: false } || Thread.CurrentThread.Name != EngineThreadName)
        {
            return false;
        }

        t_batch = this;
        t_checked = true;
        return true;
    }

    private void RunPending()
    {
        List<Action> run;
        lock (_lock)
        {
            run = _pending;
            _pending = _spare ?? [];
            _spare = null;
            _armed = false;
        }

        foreach (Action continuation in run)
        {
            continuation();
        }

        run.Clear();
        lock (_lock)
        {
            _spare ??= run;
        }
    }

    /// <summary>Awaits the end of the current event batch.</summary>
    public readonly struct Awaitable(SocketEngineBatch batch) : ICriticalNotifyCompletion
    {
        public bool IsCompleted => false;

        public Awaitable GetAwaiter() => this;

        public void GetResult()
        {
        }

        public void OnCompleted(Action continuation) => batch.Add(continuation);

        public void UnsafeOnCompleted(Action continuation) => batch.Add(continuation);
    }

    /// <summary>
    /// One bell per engine, created together. The runtime hands each new socket to the next engine in
    /// turn and offers no way to choose; a bell learns its engine only when its first ring is answered.
    /// So a thread that needs a bell creates as many as there are engines, in a row, and rings them
    /// all: each is adopted by the engine thread that answers it, if that thread has none yet, and
    /// closed otherwise. Other sockets registered meanwhile can make a round miss a thread; it then
    /// starts another.
    /// </summary>
    private sealed class Round
    {
        private int _unanswered;

        public bool IsDone => Volatile.Read(ref _unanswered) <= 0;

        public static Round Start()
        {
            var round = new Round();
            int engines = EngineCount();
            round._unanswered = engines;
            for (int i = 0; i < engines; i++)
            {
                SocketEngineBatch? candidate = TryCreate(round);
                if (candidate is null)
                {
                    round._unanswered -= engines - i;
                    break;
                }

                // Rung only once RunAsync waits: a ring answered before the wait began would resume it
                // in line here, on this thread, whichever engine the bell belongs to.
                _ = candidate.RunAsync();
                if (!candidate.TryRing())
                {
                    candidate.Dispose();
                }
            }

            return round;
        }

        /// <summary>Counted once per candidate: at its first answer, or when it ends without one.</summary>
        public void OneAnswered() => Interlocked.Decrement(ref _unanswered);

        private static int EngineCount()
        {
            // The runtime's own count when the variable is unset (SocketEngineThreads sets it in both programs).
            string? configured = Environment.GetEnvironmentVariable(SocketEngineThreads.EnvironmentVariable);
            int count = int.TryParse(configured, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0
                ? n
                : Environment.ProcessorCount;
            return Math.Min(count, 64);
        }
    }
}
