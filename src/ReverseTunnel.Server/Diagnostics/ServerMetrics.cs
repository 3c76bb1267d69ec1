using System.Diagnostics.Metrics;

namespace ReverseTunnel.Server.Diagnostics;

/// <summary>
/// Instruments of meter <c>ReverseTunnel.Server</c> (OpenTelemetry naming: dotted, lowercase,
/// units in UCUM). Listen with dotnet-counters or an OpenTelemetry exporter.
/// </summary>
public sealed class ServerMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "ReverseTunnel.Server";

    private readonly UpDownCounter<long> _sessionsActive;
    private readonly Counter<long> _streamsOpened;
    private readonly UpDownCounter<long> _streamsActive;
    private readonly Counter<long> _streamsRefused;
    private readonly Counter<long> _authFailures;
    private readonly Counter<long> _bytes;

    /// <summary>Creates the instruments on a meter from <paramref name="meterFactory"/>.</summary>
    public ServerMetrics(IMeterFactory meterFactory)
    {
        Meter meter = meterFactory.Create(MeterName);
        _sessionsActive = meter.CreateUpDownCounter<long>("tunnel.sessions.active", "{session}", "Agent sessions currently connected.");
        _streamsOpened = meter.CreateCounter<long>("tunnel.streams.opened", "{stream}", "Tunnel connections accepted and opened as streams.");
        _streamsActive = meter.CreateUpDownCounter<long>("tunnel.streams.active", "{stream}", "Tunnel connections currently bridged.");
        _streamsRefused = meter.CreateCounter<long>("tunnel.streams.refused", "{stream}", "Tunnel connections reset because no stream could be opened.");
        _authFailures = meter.CreateCounter<long>("tunnel.auth.failures", "{request}", "Agent handshakes refused, by reason (the problem code).");
        _bytes = meter.CreateCounter<long>("tunnel.bytes", "By", "Octets carried through tunnels, by direction (to_agent, from_agent).");
    }

    internal void SessionStarted() => _sessionsActive.Add(1);

    internal void SessionEnded() => _sessionsActive.Add(-1);

    internal void StreamOpened()
    {
        _streamsOpened.Add(1);
        _streamsActive.Add(1);
    }

    internal void StreamClosed(long bytesToAgent, long bytesFromAgent)
    {
        _streamsActive.Add(-1);
        _bytes.Add(bytesToAgent, new KeyValuePair<string, object?>("direction", "to_agent"));
        _bytes.Add(bytesFromAgent, new KeyValuePair<string, object?>("direction", "from_agent"));
    }

    /// <param name="reason"><c>stream_limit</c> (Tunnel:MaxStreamsPerSession), <c>no_session</c> or <c>session_refused</c> (closing, or the agent's own limit).</param>
    internal void StreamRefused(string reason) => _streamsRefused.Add(1, new KeyValuePair<string, object?>("reason", reason));

    internal void HandshakeRefused(string code) => _authFailures.Add(1, new KeyValuePair<string, object?>("reason", code));
}
