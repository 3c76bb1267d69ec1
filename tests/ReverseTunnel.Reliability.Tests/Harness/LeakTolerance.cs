namespace ReverseTunnel.Reliability.Tests.Harness;

/// <summary>
/// How far a process may stay above its idle baseline once a fault is over and it is idle again.
/// A leak of one descriptor or thread per connection shows up as tens over a test's transfers; the
/// runtime's own noise (a thread-pool thread not yet retired, a timer) stays within these.
/// </summary>
internal sealed record LeakTolerance(int Fds, int Threads)
{
    public static readonly LeakTolerance Default = new(Fds: 6, Threads: 8);
}
