using System.Diagnostics;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading.Channels;

namespace ReverseTunnel.EndToEnd.Tests.Harness;

/// <summary>
/// A real ws-server or ws-agent process. Its output lines are kept, and tests wait on lines
/// (events), never on sleeps.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly List<LineWaiter> _waiters = [];
    private readonly object _lock = new();
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ChildProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    public string Name { get; }

    public int Id => _process.Id;

    /// <summary>Completes with the exit code when the process exits.</summary>
    public Task<int> Exited => _exited.Task;

    public string Output
    {
        get
        {
            lock (_lock)
            {
                return string.Join('\n', _lines);
            }
        }
    }

    public static string DllPath(string key) =>
        typeof(ChildProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    public static ChildProcess Start(string name, string dll, IEnumerable<string> args, IDictionary<string, string?>? environment = null)
    {
        // A .dll runs under `dotnet`; anything else is a native program (the Native AOT ws-agent).
        bool managed = dll.EndsWith(".dll", StringComparison.OrdinalIgnoreCase);
        var info = new ProcessStartInfo(managed ? "dotnet" : Path.GetFullPath(dll))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        if (managed)
        {
            info.ArgumentList.Add(Path.GetFullPath(dll));
        }

        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        // The child must not inherit the test host's settings, only what the test gives it.
        foreach (string key in info.Environment.Keys.Where(k => k.StartsWith("Tunnel__", StringComparison.Ordinal) || k is "HTTPS_PROXY" or "https_proxy" or "ALL_PROXY" ||
            k.StartsWith("DOTNET_SYSTEM_NET_SOCKETS_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(key);
        }

        info.Environment["DOTNET_gcServer"] = "0";
        foreach ((string key, string? value) in environment ?? new Dictionary<string, string?>())
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(name, process);
        process.OutputDataReceived += (_, e) => child.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => child.OnLine(e.Data);
        process.Exited += (_, _) => child.OnExited();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Waits for an output line matching <paramref name="pattern"/> (lines already seen count).</summary>
    public Task<Match> WaitForLineAsync(string pattern, TimeSpan? timeout = null) => WaitForLineAsync(pattern, 1, timeout);

    /// <summary>Waits until <paramref name="occurrence"/> lines in all have matched; returns the last match.</summary>
    public async Task<Match> WaitForLineAsync(string pattern, int occurrence, TimeSpan? timeout = null)
    {
        var waiter = new LineWaiter(new Regex(pattern, RegexOptions.CultureInvariant), occurrence);
        lock (_lock)
        {
            foreach (string line in _lines)
            {
                if (waiter.Offer(line))
                {
                    return waiter.Task.Result;
                }
            }

            _waiters.Add(waiter);
        }

        try
        {
            Task finished = await Task.WhenAny(waiter.Task, Exited).WaitAsync(timeout ?? TestTimeout.Value);
            if (finished != waiter.Task)
            {
                // Output may still be draining when the exit is seen; give the matching line its chance.
                await Task.WhenAny(waiter.Task, Task.Delay(500));
                if (!waiter.Task.IsCompleted)
                {
                    throw new InvalidOperationException($"{Name} exited (code {Exited.Result}) before printing line #{occurrence} matching /{pattern}/. Output:\n{Output}");
                }
            }

            return await waiter.Task;
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{Name} printed no line #{occurrence} matching /{pattern}/ in time. Output:\n{Output}");
        }
        finally
        {
            lock (_lock)
            {
                _waiters.Remove(waiter);
            }
        }
    }

    /// <summary>Counts output lines matching <paramref name="pattern"/> so far.</summary>
    public int CountLines(string pattern)
    {
        var regex = new Regex(pattern, RegexOptions.CultureInvariant);
        lock (_lock)
        {
            return _lines.Count(l => regex.IsMatch(l));
        }
    }

    /// <summary>SIGKILL: the process dies without any chance to say goodbye.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await Exited.WaitAsync(TestTimeout.Value);
    }

    /// <summary>SIGTERM, as <c>docker stop</c> sends: the process should shut down gracefully.</summary>
    public async Task<int> StopAsync()
    {
        if (!_process.HasExited)
        {
            NativeSignals.Terminate(_process.Id);
        }

        return await Exited.WaitAsync(TestTimeout.Value);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await KillAsync();
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
        }

        _process.Dispose();
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        if (Environment.GetEnvironmentVariable("E2E_ECHO") == "1")
        {
            Console.WriteLine($"[{Name}] {line}");
        }

        lock (_lock)
        {
            _lines.Add(line);
            foreach (LineWaiter waiter in _waiters)
            {
                waiter.Offer(line);
            }
        }
    }

    private void OnExited()
    {
        // Let the output readers drain before reporting the exit.
        _process.WaitForExit();
        _exited.TrySetResult(_process.ExitCode);
    }

    private sealed class LineWaiter(Regex pattern, int occurrence)
    {
        private readonly TaskCompletionSource<Match> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _remaining = occurrence;

        public Task<Match> Task => _done.Task;

        public bool Offer(string line)
        {
            Match m = pattern.Match(line);
            if (m.Success && --_remaining == 0)
            {
                _done.TrySetResult(m);
            }

            return _done.Task.IsCompleted;
        }
    }
}
