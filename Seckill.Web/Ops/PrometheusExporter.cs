using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text;

namespace Seckill.Web.Ops;

/// <summary>
/// Keeps this host's <see cref="System.Diagnostics.Metrics"/> instruments and writes them in
/// Prometheus' text format for <c>/metrics</c> (<see cref="PrometheusApi"/>): ours (meters
/// <c>Seckill.*</c>), ASP.NET Core's (<c>Microsoft.AspNetCore.Hosting</c>: request duration by
/// route; <c>Microsoft.AspNetCore.RateLimiting</c>; Kestrel) and the runtime's (<c>System.Runtime</c>:
/// GC, thread pool).
/// </summary>
/// <remarks>
/// Why not OpenTelemetry's or prometheus-net's exporter: both pick meters by name only, so every host
/// in a process sees every other host's instruments of that name. One process runs one host in
/// production, but the tests run dozens side by side, and OpenTelemetry then merges their instruments
/// into one stream (and drops it when any of those hosts stops). This listener takes the meters
/// this host's <see cref="IMeterFactory"/> made, plus the few that static code makes once per process
/// (<see cref="ProcessMeters"/>). Thread-safe: measurements from any thread, one scrape at a time.
/// </remarks>
public sealed partial class PrometheusExporter : IDisposable
{
    /// <summary>
    /// Meters made without a factory, one per process: the runtime's, and the storage adapters'
    /// (<c>Storage/StorageMetrics</c>, static like the Redis and SQL helpers it times).
    /// </summary>
    public static readonly string[] ProcessMeters = ["System.Runtime", "Seckill.Storage"];

    private readonly IMeterFactory _meters;
    private readonly ILogger<PrometheusExporter> _log;
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<Instrument, MetricStream> _streams = new();
    private readonly Lock _collecting = new();

    public PrometheusExporter(IMeterFactory meters, ILogger<PrometheusExporter> log)
    {
        _meters = meters;
        _log = log;
        _listener.InstrumentPublished = Publish;
        _listener.MeasurementsCompleted = (instrument, _) => _streams.TryRemove(instrument, out MetricStream? _);
        _listener.SetMeasurementEventCallback<long>(static (_, value, tags, state) => ((MetricStream)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>(static (_, value, tags, state) => ((MetricStream)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>(static (_, value, tags, state) => ((MetricStream)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<float>(static (_, value, tags, state) => ((MetricStream)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<short>(static (_, value, tags, state) => ((MetricStream)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<byte>(static (_, value, tags, state) => ((MetricStream)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<decimal>(static (_, value, tags, state) => ((MetricStream)state!).Record((double)value, tags));
        _listener.Start();
    }

    private void Publish(Instrument instrument, MeterListener listener)
    {
        var meter = instrument.Meter;
        var ours = meter.Scope is null ? ProcessMeters.Contains(meter.Name) : ReferenceEquals(meter.Scope, _meters);
        if (!ours)
        {
            return;
        }
        var stream = _streams.GetOrAdd(instrument, static instrument => new MetricStream(instrument));
        listener.EnableMeasurementEvents(instrument, stream);
    }

    /// <summary>Every series now, as Prometheus' text: observable instruments are read at this moment.</summary>
    public string Collect()
    {
        lock (_collecting)
        {
            foreach (var stream in _streams.Values)
            {
                if (stream.Observable)
                {
                    stream.ClearObserved();
                }
            }
            try
            {
                _listener.RecordObservableInstruments();
            }
            catch (AggregateException error)
            {
                // Every other callback has run: one broken gauge must not blind the whole scrape.
                LogObserveFailed(error);
            }

            var text = new StringBuilder(64 * 1024);
            // Two instruments may share a name (a meter made twice): one header, both series.
            foreach (var sameName in _streams.Values.GroupBy(stream => stream.Name).OrderBy(group => group.Key, StringComparer.Ordinal))
            {
                var streams = sameName.ToList();
                if (streams.All(stream => stream.Points.Count == 0))
                {
                    continue;
                }
                PrometheusText.AppendHeader(text, sameName.Key, streams[0].Instrument.Description, streams[0].Kind);
                foreach (var stream in streams)
                {
                    Append(text, stream);
                }
            }
            return text.ToString();
        }
    }

    private static void Append(StringBuilder text, MetricStream stream)
    {
        foreach (var point in stream.Points)
        {
            if (stream.Kind != StreamKind.Histogram)
            {
                PrometheusText.AppendSample(text, stream.Name, point.Tags, Volatile.Read(ref point.Value));
                continue;
            }
            // Buckets are cumulative in Prometheus; the count is their total, so the lines agree
            // even while measurements land during the scrape.
            long cumulative = 0;
            for (var i = 0; i < point.Buckets.Length; i++)
            {
                cumulative += Interlocked.Read(ref point.Buckets[i]);
                var le = i < stream.Bounds.Length ? PrometheusText.Number(stream.Bounds[i]) : "+Inf";
                PrometheusText.AppendSample(text, stream.Name + "_bucket", point.Tags, cumulative, le);
            }
            PrometheusText.AppendSample(text, stream.Name + "_sum", point.Tags, Volatile.Read(ref point.Value));
            PrometheusText.AppendSample(text, stream.Name + "_count", point.Tags, cumulative);
        }
    }

    public void Dispose() => _listener.Dispose();

    [LoggerMessage(Level = LogLevel.Error, Message = "An observable instrument's callback failed; its series are missing from this scrape")]
    private partial void LogObserveFailed(Exception error);
}
