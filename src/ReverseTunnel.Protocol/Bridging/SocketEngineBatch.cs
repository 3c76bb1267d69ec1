using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

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

    // A thread whose round missed its engine (see Round) tries again after a back-off that doubles
    // from 100 ms to a minute, and meanwhile sends at once, as it would without this class.
    private static readonly TimeSpan FirstBackOff = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxBackOff = TimeSpan.FromMinutes(1);

    private static readonly byte[] Ring = [1];

    // One round in the process at a time: a round equips every engine thread it reaches, so threads
    // starting rounds of their own at once would only make N engines × N threads socket pairs.
    private static Round? s_round;

    [ThreadStatic] private static SocketEngineBatch? t_batch;
    [ThreadStatic] private static bool t_checked;
    [ThreadStatic] private static bool t_unusable;
    [ThreadStatic] private static TimeSpan t_backOff;
    [ThreadStatic] private static long t_nextRound;

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

        long now = Stopwatch.GetTimestamp();
        Round? running = Volatile.Read(ref s_round);
        if (running is { IsDone: false } || now < t_nextRound)
        {
            return false;
        }

        // Not the first round for this thread, or another's round did not reach it: back off.
        t_backOff = t_backOff == TimeSpan.Zero ? FirstBackOff : TimeSpan.FromTicks(Math.Min(t_backOff.Ticks * 2, MaxBackOff.Ticks));
        t_nextRound = now + (long)(t_backOff.TotalSeconds * Stopwatch.Frequency);
        var round = new Round();
        if (Interlocked.CompareExchange(ref s_round, round, running) == running)
        {
            round.Start();
        }

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
        // Abstract-namespace addresses (leading NUL): nothing on disk, gone when the sockets close.
        // The ringer binds a name of its own so that the accepted end can be checked to be it: any
        // local process can see the listening name and could connect first.
        string name = Guid.NewGuid().ToString("N");
        var endPoint = new UnixDomainSocketEndPoint("\0reverse-tunnel-batch-" + name);
        var ringerEndPoint = new UnixDomainSocketEndPoint("\0reverse-tunnel-ring-" + name);
        Socket? ringer = null;
        Socket? bell = null;
        try
        {
            using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(endPoint);
            listener.Listen(1);
            ringer = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            ringer.Bind(ringerEndPoint);
            ringer.Connect(endPoint);
            bell = listener.Accept();
            if (bell.RemoteEndPoint?.ToString() != ringerEndPoint.ToString())
            {
                throw new SocketException((int)SocketError.AccessDenied);
            }

            return new SocketEngineBatch(bell, ringer, round);
        }
        catch (SocketException)
        {
            bell?.Dispose();
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
            // No bell: run now, as without this class. This re-enters the caller's continuation
            // from inside its await; the next TryGetCurrent drops the broken bell, so it happens once.
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
                return;
            }

            answered = true;
            _round.OneAnswered();
            if (!Adopt())
            {
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

            // Whatever ended the loop (the sockets closed, or a continuation threw), nothing that
            // waits here may be left behind: the owner replaces a broken bell at its next ask.
            Dispose();
            RunPending();
        }
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
        t_backOff = TimeSpan.Zero;
        t_nextRound = 0;
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

        // Continuations of async methods do not throw; if one did, the rest still run first.
        ExceptionDispatchInfo? failure = null;
        foreach (Action continuation in run)
        {
            try
            {
                continuation();
            }
            catch (Exception e)
            {
                failure ??= ExceptionDispatchInfo.Capture(e);
            }
        }

        run.Clear();
        lock (_lock)
        {
            _spare ??= run;
        }

        failure?.Throw();
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
    /// closed otherwise. Other sockets registered meanwhile can make a round miss a thread; that
    /// thread starts another after a back-off (one round in the process at a time).
    /// </summary>
    private sealed class Round
    {
        private int _unanswered = int.MaxValue;

        public bool IsDone => Volatile.Read(ref _unanswered) <= 0;

        public void Start()
        {
            // Two descriptors per candidate; 64 bounds a round on the largest machines.
            int engines = Math.Min(SocketEngineThreads.Current, 64);
            Volatile.Write(ref _unanswered, engines);
            for (int i = 0; i < engines; i++)
            {
                SocketEngineBatch? candidate = TryCreate(this);
                if (candidate is null)
                {
                    // Candidates already started may be answering on other threads meanwhile.
                    Interlocked.Add(ref _unanswered, -(engines - i));
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
        }

        /// <summary>Counted once per candidate: at its first answer, or when it ends without one.</summary>
        public void OneAnswered() => Interlocked.Decrement(ref _unanswered);
    }
}
