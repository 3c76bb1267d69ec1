using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ReverseTunnel.Server.Configuration;
using ReverseTunnel.Server.Diagnostics;

namespace ReverseTunnel.Server.Clients;

/// <summary>
/// The registered clients, read from the clients file and reloaded when it changes. A broken file
/// never takes effect: the last good registry stays and the problem is logged.
/// </summary>
public sealed class ClientRegistry : IDisposable
{
    // Editors save in several steps (truncate, write, rename); one reload after the burst settles.
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(250);

    // A file still being written may be locked or half-written; it is retried this many times.
    private const int MaxRetries = 5;

    private readonly ILogger _logger;
    private readonly Lock _reloadLock = new();
    private readonly Timer _debounceTimer;
    private readonly ITimer? _pollTimer;
    private readonly TimeSpan _pollInterval;
    private FileSystemWatcher? _watcher;
    private volatile ClientDirectory _current = ClientDirectory.Empty;
    private byte[] _lastSeenHash = [];
    private int _retries;
    private bool _disposed;

    /// <summary>Creates the registry; <see cref="Load"/> reads the file and starts watching (and polling) it.</summary>
    /// <param name="options">The server's options: the clients file and <see cref="TunnelOptions.ClientsFilePollInterval"/>.</param>
    /// <param name="logger">Logger.</param>
    /// <param name="timeProvider">Clock of the poll timer; null for the system clock.</param>
    public ClientRegistry(IOptions<TunnelOptions> options, ILogger<ClientRegistry> logger, TimeProvider? timeProvider = null)
    {
        FilePath = options.Value.ResolvedClientsFile;
        _pollInterval = options.Value.ClientsFilePollInterval;
        _logger = logger;
        _debounceTimer = new Timer(static s => ((ClientRegistry)s!).OnDebounceElapsed(), this, Timeout.Infinite, Timeout.Infinite);
        if (_pollInterval > TimeSpan.Zero)
        {
            _pollTimer = (timeProvider ?? TimeProvider.System).CreateTimer(static s => ((ClientRegistry)s!).OnPoll(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Test seam: false leaves the file-system watcher off, so that only polling can see changes.</summary>
    internal bool UseWatcher { get; set; } = true;

    /// <summary>Raised after each reload attempt, with true when the new file took effect.</summary>
    public event Action<bool>? Reloaded;

    /// <summary>The absolute path of the clients file.</summary>
    public string FilePath { get; }

    /// <summary>The clients in force.</summary>
    public ClientDirectory Current => _current;

    /// <summary>
    /// Reads the file (creating an empty one when missing) and starts watching it. A broken file at
    /// start is a configuration error, since there is no previous registry to fall back on.
    /// </summary>
    /// <exception cref="TunnelConfigurationException">The file cannot be read or is invalid.</exception>
    public void Load()
    {
        string? directory = Path.GetDirectoryName(FilePath);
        try
        {
            if (directory is not null)
            {
                Directory.CreateDirectory(directory);
            }

            if (!File.Exists(FilePath))
            {
                CreateEmptyFile(FilePath);
                ServerLog.ClientsFileCreated(_logger, FilePath);
            }

            string json = File.ReadAllText(FilePath);
            _lastSeenHash = Hash(json);
            if (!ClientsFileParser.TryParse(json, out ClientDirectory clients, out IReadOnlyList<string> problems))
            {
                throw new TunnelConfigurationException([.. problems.Select(p => $"Clients file {FilePath}: {p}")]);
            }

            _current = clients;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new TunnelConfigurationException([$"The clients file {FilePath} cannot be read or created: {ex.Message} Check {TunnelOptions.SectionName}:{nameof(TunnelOptions.ClientsFile)} and the folder's permissions."]);
        }

        ServerLog.ClientsLoaded(_logger, _current.Clients.Count, FilePath);
        if (UseWatcher)
        {
            StartWatching(directory);
        }

        _pollTimer?.Change(_pollInterval, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Reads the file again now; returns true when it took effect.</summary>
    public bool Reload()
    {
        bool? outcome = ReloadCore();
        if (outcome is { } applied)
        {
            // Outside the lock: handlers may take their time or read Current.
            Reloaded?.Invoke(applied);
        }

        return outcome == true;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_reloadLock)
        {
            _disposed = true;
            _watcher?.Dispose();
            _debounceTimer.Dispose();
            _pollTimer?.Dispose();
        }
    }

    /// <summary>Returns true when applied, false when rejected, null when deferred or disposed.</summary>
    private bool? ReloadCore()
    {
        lock (_reloadLock)
        {
            if (_disposed)
            {
                return null;
            }

            string json;
            try
            {
                json = File.ReadAllText(FilePath);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                if (ex is not FileNotFoundException && ++_retries <= MaxRetries)
                {
                    // Probably still being written; try again shortly.
                    _debounceTimer.Change(Debounce * 2, Timeout.InfiniteTimeSpan);
                    return null;
                }

                return Reject(ex is FileNotFoundException ? "The file was deleted or renamed." : $"It cannot be read: {ex.Message}");
            }

            _retries = 0;
            _lastSeenHash = Hash(json);
            if (!ClientsFileParser.TryParse(json, out ClientDirectory clients, out IReadOnlyList<string> problems))
            {
                return Reject(string.Join(" ", problems));
            }

            _current = clients;
            ServerLog.ClientsReloaded(_logger, clients.Clients.Count, FilePath);
            return true;
        }
    }

    private bool Reject(string problem)
    {
        _retries = 0;
        ServerLog.ClientsReloadFailed(_logger, FilePath, _current.Clients.Count, problem);
        return false;
    }

    private void StartWatching(string? directory)
    {
        if (directory is null)
        {
            return;
        }

        try
        {
            // The folder is watched, not the file: editors and config tools often replace the file by rename.
            var watcher = new FileSystemWatcher(directory, Path.GetFileName(FilePath))
            {
                NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size | NotifyFilters.CreationTime,
            };
            watcher.Changed += OnFileEvent;
            watcher.Created += OnFileEvent;
            watcher.Deleted += OnFileEvent;
            watcher.Renamed += OnFileEvent;
            watcher.Error += (_, e) => ServerLog.ClientsWatchFailed(_logger, e.GetException(), FilePath);
            watcher.EnableRaisingEvents = true;
            _watcher = watcher;
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            ServerLog.ClientsWatchFailed(_logger, ex, FilePath);
        }
    }

    private void OnFileEvent(object sender, FileSystemEventArgs e)
    {
        lock (_reloadLock)
        {
            if (!_disposed)
            {
                _debounceTimer.Change(Debounce, Timeout.InfiniteTimeSpan);
            }
        }
    }

    private void OnDebounceElapsed() => Reload();

    /// <summary>
    /// Compares the file's content with what was last read and reloads on a difference. Content, not
    /// timestamps: a ConfigMap swap replaces the file behind a symlink, whose own times may not change.
    /// One-shot timer, re-armed after each check, so checks never overlap.
    /// </summary>
    private void OnPoll()
    {
        try
        {
            byte[] hash;
            try
            {
                hash = Hash(File.ReadAllText(FilePath));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Missing or unreadable for a moment (mid-swap); the watcher or the next check deals with it.
                return;
            }

            bool changed;
            lock (_reloadLock)
            {
                changed = !_disposed && !hash.AsSpan().SequenceEqual(_lastSeenHash);
            }

            if (changed)
            {
                ServerLog.ClientsFileChangeDetected(_logger, FilePath);
                Reload();
            }
        }
        finally
        {
            lock (_reloadLock)
            {
                if (!_disposed)
                {
                    _pollTimer?.Change(_pollInterval, Timeout.InfiniteTimeSpan);
                }
            }
        }
    }

    private static byte[] Hash(string json) => System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(json));

    /// <summary>Owner-only from the start: the file may come to hold plaintext tokens.</summary>
    private static void CreateEmptyFile(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var writer = new StreamWriter(path, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false), options);
        writer.Write("{\"clients\":[]}\n");
    }
}
