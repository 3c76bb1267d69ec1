using System.Diagnostics;
using System.Text.RegularExpressions;

namespace ReverseTunnel.Bench.Infra;

/// <summary>
/// A non-.NET process the bench starts (iperf3, nginx, sshd, ssh, wrk…): registered for cleanup,
/// its output kept (the last lines), its stdin a pipe held open until it is disposed.
/// </summary>
internal sealed class ToolProcess : IAsyncDisposable
{
    private const int KeptLines = 400;
    private readonly Process _process;
    private readonly Queue<string> _lines = new();
    private readonly Lock _lock = new();
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _outputDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _errorDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly System.Text.StringBuilder _stdout = new();
    private readonly bool _keepStdout;
    private readonly Regex? _countPattern;
    private int _matchCount;

    private ToolProcess(string name, Process process, bool keepStdout, Regex? countPattern)
    {
        Name = name;
        _process = process;
        _keepStdout = keepStdout;
        _countPattern = countPattern;
    }

    public string Name { get; }

    public int Id => _process.Id;

    public Task<int> Exited => _exited.Task;

    public bool HasExited => _exited.Task.IsCompleted;

    /// <summary>How many output lines so far matched the count pattern given to <see cref="Start"/>.</summary>
    public int MatchCount => Volatile.Read(ref _matchCount);

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

    public static ToolProcess Start(string name, string file, IEnumerable<string> args, string? workingDirectory = null, bool keepStdout = false, string? countPattern = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
        };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var tool = new ToolProcess(name, process, keepStdout, countPattern is null ? null : new Regex(countPattern, RegexOptions.CultureInvariant));
        process.OutputDataReceived += (_, e) => tool.OnLine(e.Data, stdout: true);
        process.ErrorDataReceived += (_, e) => tool.OnLine(e.Data, stdout: false);
        process.Exited += (_, _) => tool.OnExited();
        Cleanup.Start(name, () => process.Start(), _ => process.Id);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return tool;
    }

    /// <summary>Runs a command to completion within <paramref name="timeout"/>; returns its exit code and stdout.</summary>
    public static async Task<(int ExitCode, string Stdout, string Output)> RunAsync(string file, IEnumerable<string> args, TimeSpan timeout, string? workingDirectory = null)
    {
        await using ToolProcess tool = Start(Path.GetFileName(file), file, args, workingDirectory, keepStdout: true);
        tool._process.StandardInput.Close();
        try
        {
            int code = await tool.Exited.WaitAsync(timeout);
            await Task.WhenAll(tool._outputDone.Task, tool._errorDone.Task).WaitAsync(TimeSpan.FromSeconds(5));
            lock (tool._lock)
            {
                return (code, tool._stdout.ToString(), string.Join('\n', tool._lines));
            }
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish within {timeout.TotalSeconds:0} s. Output:\n{tool.Output}");
        }
    }

    /// <summary>Waits for an output line matching <paramref name="pattern"/>; fails if the process exits first.</summary>
    public async Task<Match> WaitForLineAsync(string pattern, TimeSpan timeout)
    {
        var regex = new Regex(pattern, RegexOptions.CultureInvariant);
        DateTime deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            lock (_lock)
            {
                foreach (string line in _lines)
                {
                    Match m = regex.Match(line);
                    if (m.Success)
                    {
                        return m;
                    }
                }
            }

            if (HasExited)
            {
                throw new InvalidOperationException($"{Name} exited (code {Exited.Result}) before printing /{pattern}/. Output:\n{Output}");
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{Name} printed no line matching /{pattern}/ within {timeout.TotalSeconds:0} s. Output:\n{Output}");
            }

            await Task.Delay(25);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!HasExited)
        {
            Cleanup.Kill(_process.Id);
            try
            {
                await Exited.WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (TimeoutException)
            {
                Console.Error.WriteLine($"bench: {Name} (pid {_process.Id}) did not exit within 10 s of SIGKILL");
            }
        }

        Cleanup.Unregister(_process.Id);
        _process.Dispose();
    }

    private void OnLine(string? line, bool stdout)
    {
        if (line is null)
        {
            (stdout ? _outputDone : _errorDone).TrySetResult();
            return;
        }

        if (_countPattern?.IsMatch(line) == true)
        {
            Interlocked.Increment(ref _matchCount);
        }

        lock (_lock)
        {
            if (stdout && _keepStdout)
            {
                _stdout.AppendLine(line);
            }

            _lines.Enqueue(line);
            if (_lines.Count > KeptLines)
            {
                _lines.Dequeue();
            }
        }
    }

    private void OnExited()
    {
        _process.WaitForExit();
        _exited.TrySetResult(_process.ExitCode);
    }
}
