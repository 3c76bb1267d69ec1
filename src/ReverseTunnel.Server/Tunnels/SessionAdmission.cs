using Microsoft.Extensions.Options;
using ReverseTunnel.Server.Configuration;

namespace ReverseTunnel.Server.Tunnels;

/// <summary>
/// Counts agent sessions, in total and per client, from the moment a handshake passes its checks
/// (before the upgrade, so that concurrent handshakes cannot overshoot) until the session ends:
/// <c>Tunnel:MaxSessions</c> and <c>Tunnel:MaxSessionsPerClient</c>.
/// </summary>
public sealed class SessionAdmission(IOptions<TunnelOptions> options)
{
    private readonly int _maxSessions = options.Value.MaxSessions;
    private readonly int _maxPerClient = options.Value.MaxSessionsPerClient;
    private readonly Dictionary<string, int> _perClient = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private int _total;

    /// <summary>The server-wide limit.</summary>
    public int MaxSessions => _maxSessions;

    /// <summary>The per-client limit.</summary>
    public int MaxSessionsPerClient => _maxPerClient;

    /// <summary>Sessions admitted and not yet released.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _total;
            }
        }
    }

    /// <summary>Takes a slot for <paramref name="client"/>; on success the caller must <see cref="Release"/> it exactly once.</summary>
    public AdmissionStatus TryAdmit(string client)
    {
        lock (_lock)
        {
            if (_total >= _maxSessions)
            {
                return AdmissionStatus.ServerFull;
            }

            int held = _perClient.GetValueOrDefault(client);
            if (held >= _maxPerClient)
            {
                return AdmissionStatus.ClientFull;
            }

            _perClient[client] = held + 1;
            _total++;
            return AdmissionStatus.Admitted;
        }
    }

    /// <summary>Gives back a slot taken by <see cref="TryAdmit"/>.</summary>
    public void Release(string client)
    {
        lock (_lock)
        {
            _total--;
            int held = _perClient.GetValueOrDefault(client) - 1;
            if (held <= 0)
            {
                _perClient.Remove(client);
            }
            else
            {
                _perClient[client] = held;
            }
        }
    }
}
