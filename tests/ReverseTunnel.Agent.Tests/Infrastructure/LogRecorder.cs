using Microsoft.Extensions.Logging;

namespace ReverseTunnel.Agent.Tests.Infrastructure;

/// <summary>Records every log entry and lets a test wait for one: synchronisation on events, not sleeps.</summary>
public sealed class LogRecorder : ILoggerProvider
{
    private readonly object _lock = new();
    private readonly List<LogEntry> _entries = [];
    private readonly List<(Func<LogEntry, bool> Match, TaskCompletionSource<LogEntry> Done)> _waiters = [];

    /// <summary>A logger factory whose only provider is this recorder.</summary>
    public ILoggerFactory CreateFactory() => LoggerFactory.Create(builder => builder.SetMinimumLevel(LogLevel.Trace).AddProvider(this));

    /// <summary>A snapshot of the entries so far.</summary>
    public IReadOnlyList<LogEntry> Entries
    {
        get
        {
            lock (_lock)
            {
                return [.. _entries];
            }
        }
    }

    /// <summary>Waits (up to 30 s) for the first entry, past or future, that matches.</summary>
    public Task<LogEntry> WaitForAsync(Func<LogEntry, bool> match) => WaitForAsync(match, skip: 0);

    /// <summary>Waits (up to 30 s) for the (<paramref name="skip"/>+1)-th entry that matches.</summary>
    public Task<LogEntry> WaitForAsync(Func<LogEntry, bool> match, int skip)
    {
        lock (_lock)
        {
            LogEntry[] seen = [.. _entries.Where(match)];
            if (seen.Length > skip)
            {
                return Task.FromResult(seen[skip]);
            }

            int remaining = skip - seen.Length;
            var done = new TaskCompletionSource<LogEntry>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((entry => match(entry) && remaining-- == 0, done));
            return done.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => new Recorder(this, categoryName);

    /// <inheritdoc />
    public void Dispose()
    {
    }

    private void Add(LogEntry entry)
    {
        lock (_lock)
        {
            _entries.Add(entry);
            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Match(entry))
                {
                    _waiters[i].Done.TrySetResult(entry);
                    _waiters.RemoveAt(i);
                }
            }
        }
    }

    private sealed class Recorder(LogRecorder owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Add(new LogEntry(category, logLevel, eventId.Id, formatter(state, exception)));
    }
}
