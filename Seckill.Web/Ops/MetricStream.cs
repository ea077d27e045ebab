using System.Diagnostics.Metrics;

namespace Seckill.Web.Ops;

/// <summary>How an instrument's measurements add up, and the Prometheus type it is exported as.</summary>
public enum StreamKind
{
    /// <summary>Counter, ObservableCounter: only goes up; exported as <c>counter</c> with <c>_total</c>.</summary>
    Counter,
    /// <summary>UpDownCounter (measurements add), Gauge, the observable gauges and up-down counters (a measurement is the value).</summary>
    Gauge,
    /// <summary>Histogram: measurements fall into buckets; exported with <c>_bucket</c>, <c>_sum</c> and <c>_count</c>.</summary>
    Histogram,
}

/// <summary>
/// One instrument's figures by tag set, as <see cref="PrometheusExporter"/> keeps them between scrapes.
/// </summary>
/// <remarks>
/// Recording is on the request path (ASP.NET's request duration, the Redis calls of a purchase), so
/// it takes no lock and allocates nothing once a tag set has been seen: the tag sets are a
/// copy-on-write array searched by hash, and a point's figures change with <see cref="Interlocked"/>.
/// Only a tag set's first measurement takes <see cref="_adding"/>. Observable instruments are
/// recorded only while a scrape collects (one thread, under the exporter's lock).
/// </remarks>
public sealed class MetricStream
{
    /// <summary>
    /// Most tag sets kept per instrument: a tag with unbounded values (an id where a route template
    /// should be) must not grow memory for good. Measurements of further tag sets are dropped.
    /// </summary>
    public const int MaxPoints = 2000;

    // Prometheus' default buckets, in seconds: ASP.NET's and our own duration instruments advise their own.
    private static readonly double[] DefaultBounds = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

    private readonly Lock _adding = new();
    // Counter<T> and UpDownCounter<T> measurements are increments; every other kind's are values.
    private readonly bool _adds;
    private volatile Point[] _points = [];

    public MetricStream(Instrument instrument)
    {
        Instrument = instrument;
        Kind = KindOf(instrument);
        Observable = instrument.IsObservable;
        Bounds = Kind == StreamKind.Histogram ? BoundsOf(instrument) : [];
        Name = PrometheusName(instrument, Kind);
        var type = instrument.GetType().GetGenericTypeDefinition();
        _adds = type == typeof(Counter<>) || type == typeof(UpDownCounter<>);
    }

    public Instrument Instrument { get; }

    public StreamKind Kind { get; }

    public bool Observable { get; }

    /// <summary>Histogram bucket upper bounds, ascending; the <c>+Inf</c> bucket is implied.</summary>
    public double[] Bounds { get; }

    /// <summary>The exported name: OpenTelemetry's Prometheus naming (dots to underscores, unit suffix, <c>_total</c> for counters).</summary>
    public string Name { get; }

    public IReadOnlyList<Point> Points => _points;

    /// <summary>Observable instruments report every tag set at every collection: what is not reported again is gone (an ended sale).</summary>
    public void ClearObserved() => _points = [];

    public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var hash = HashOf(tags);
        var point = Find(_points, hash, tags) ?? Add(hash, tags);
        if (point is null)
        {
            return;
        }
        switch (Kind)
        {
            case StreamKind.Histogram:
                Interlocked.Increment(ref point.Buckets[BucketOf(value)]);
                AddTo(ref point.Value, value);
                break;
            case StreamKind.Counter or StreamKind.Gauge when _adds:
                AddTo(ref point.Value, value);
                break;
            default:
                // Observable instruments and Gauge<T>: the measurement is the current value.
                Volatile.Write(ref point.Value, value);
                break;
        }
    }

    private int BucketOf(double value)
    {
        var bounds = Bounds;
        for (var i = 0; i < bounds.Length; i++)
        {
            if (value <= bounds[i])
            {
                return i;
            }
        }
        return bounds.Length;
    }

    private Point? Add(int hash, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        lock (_adding)
        {
            var points = _points;
            if (Find(points, hash, tags) is { } raced)
            {
                return raced;
            }
            if (points.Length >= MaxPoints)
            {
                return null;
            }
            var point = new Point(hash, tags.ToArray(), Kind == StreamKind.Histogram ? Bounds.Length + 1 : 0);
            _points = [.. points, point];
            return point;
        }
    }

    private static Point? Find(Point[] points, int hash, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var point in points)
        {
            if (point.Hash == hash && point.Matches(tags))
            {
                return point;
            }
        }
        return null;
    }

    // Independent of the tags' order: callers need not agree on one.
    private static int HashOf(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var hash = tags.Length;
        foreach (var tag in tags)
        {
            hash += HashCode.Combine(tag.Key, tag.Value);
        }
        return hash;
    }

    private static void AddTo(ref double location, double value)
    {
        var current = Volatile.Read(ref location);
        while (true)
        {
            var seen = Interlocked.CompareExchange(ref location, current + value, current);
            if (seen.Equals(current))
            {
                return;
            }
            current = seen;
        }
    }

    private static StreamKind KindOf(Instrument instrument)
    {
        var type = instrument.GetType().GetGenericTypeDefinition();
        if (type == typeof(Histogram<>))
        {
            return StreamKind.Histogram;
        }
        return type == typeof(Counter<>) || type == typeof(ObservableCounter<>) ? StreamKind.Counter : StreamKind.Gauge;
    }

    private static double[] BoundsOf(Instrument instrument) => instrument switch
    {
        Histogram<double> { Advice.HistogramBucketBoundaries: { } bounds } => [.. bounds],
        Histogram<long> { Advice.HistogramBucketBoundaries: { } bounds } => bounds.Select(bound => (double)bound).ToArray(),
        Histogram<int> { Advice.HistogramBucketBoundaries: { } bounds } => bounds.Select(bound => (double)bound).ToArray(),
        _ => DefaultBounds,
    };

    /// <summary><c>http.server.request.duration</c> in <c>s</c> → <c>http_server_request_duration_seconds</c>; a counter gets <c>_total</c>.</summary>
    public static string PrometheusName(Instrument instrument, StreamKind kind)
    {
        var name = PrometheusText.Sanitize(instrument.Name);
        var unit = instrument.Unit switch
        {
            null or "" or "1" => "",
            ['{', .., '}'] => "", // an annotation ("{request}"), not a unit
            "s" => "seconds",
            "ms" => "milliseconds",
            "By" => "bytes",
            var other => PrometheusText.Sanitize(other),
        };
        if (unit.Length > 0 && !name.EndsWith("_" + unit, StringComparison.Ordinal))
        {
            name += "_" + unit;
        }
        return kind == StreamKind.Counter && !name.EndsWith("_total", StringComparison.Ordinal) ? name + "_total" : name;
    }

    /// <summary>One tag set's figures. Value: the sum (counters, histograms) or the current value (gauges).</summary>
    public sealed class Point(int hash, KeyValuePair<string, object?>[] tags, int buckets)
    {
        public readonly int Hash = hash;
        public readonly KeyValuePair<string, object?>[] Tags = tags;
        public readonly long[] Buckets = new long[buckets];
        public double Value;

        public bool Matches(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (tags.Length != Tags.Length)
            {
                return false;
            }
            foreach (var tag in tags)
            {
                if (!Has(tag))
                {
                    return false;
                }
            }
            return true;
        }

        private bool Has(KeyValuePair<string, object?> tag)
        {
            foreach (var own in Tags)
            {
                if (own.Key == tag.Key)
                {
                    return Equals(own.Value, tag.Value);
                }
            }
            return false;
        }
    }
}
