using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace ReverseTunnel.Server.Tests.Infrastructure;

/// <summary>Sums one instrument of one test server's meter (other servers in parallel tests are not counted), by tag value.</summary>
internal sealed class MetricCapture : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _byTag = new();

    public MetricCapture(TestServer server, string instrument, string tag)
    {
        object scope = server.App.Services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (i, l) =>
        {
            if (i.Name == instrument && ReferenceEquals(i.Meter.Scope, scope))
            {
                l.EnableMeasurementEvents(i);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            string key = string.Empty;
            foreach (KeyValuePair<string, object?> t in tags)
            {
                if (t.Key == tag)
                {
                    key = t.Value?.ToString() ?? string.Empty;
                }
            }

            _byTag.AddOrUpdate(key, value, (_, old) => old + value);
        });
        _listener.Start();
    }

    public long this[string tagValue] => _byTag.GetValueOrDefault(tagValue);

    public long Total => _byTag.Values.Sum();

    public void Dispose() => _listener.Dispose();
}
