using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace ReverseTunnel.Bench.Infra;

/// <summary>
/// Every process the bench starts is registered here and killed (with its whole tree) on normal
/// exit, on failure, and on SIGINT/SIGTERM/SIGHUP/SIGQUIT.
/// </summary>
internal static class Cleanup
{
    private static readonly ConcurrentDictionary<int, string> Processes = new();
    private static readonly Lock StartLock = new();
    private static bool _stopping;

    /// <summary>
    /// Starts a process and registers it in one step, so that a signal cannot slip in between:
    /// once the bench is stopping, nothing new starts.
    /// </summary>
    public static T Start<T>(string name, Func<T> start, Func<T, int> pid)
    {
        lock (StartLock)
        {
            if (_stopping)
            {
                throw new OperationCanceledException($"the bench is stopping; {name} was not started");
            }

            T process = start();
            Processes[pid(process)] = name;
            return process;
        }
    }

    public static void Unregister(int pid) => Processes.TryRemove(pid, out _);

    public static IDisposable InstallSignalHandlers()
    {
        var registrations = new List<IDisposable>();
        foreach (PosixSignal signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP, PosixSignal.SIGQUIT })
        {
            // The default action (terminating the bench) still follows the handler.
            registrations.Add(PosixSignalRegistration.Create(signal, _ =>
            {
                Stop();
                Console.Error.WriteLine($"bench: {signal}: stopping every process it started");
                KillAll();
            }));
        }

        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            Stop();
            KillAll();
        };
        return new Registrations(registrations);
    }

    private static void Stop()
    {
        lock (StartLock)
        {
            _stopping = true;
        }
    }

    public static void KillAll()
    {
        foreach (int pid in Processes.Keys)
        {
            Kill(pid);
            Unregister(pid);
        }
    }

    /// <summary>Kills a process and its descendants (sshd's session children among them).</summary>
    public static void Kill(int pid)
    {
        // Descendants first: a child reparented to init when its parent dies is out of reach.
        foreach (int child in ProcStats.Descendants(pid).Where(p => p != pid).Reverse())
        {
            TryKill(child);
        }

        TryKill(pid);
    }

    private static void TryKill(int pid)
    {
        try
        {
            using Process process = Process.GetProcessById(pid);
            process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            // Already gone.
        }
    }

    private sealed class Registrations(List<IDisposable> items) : IDisposable
    {
        public void Dispose() => items.ForEach(i => i.Dispose());
    }
}
