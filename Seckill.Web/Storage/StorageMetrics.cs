using System.Data;
using System.Data.Common;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Seckill.Web.Storage;

/// <summary>
/// How long the storage adapters' calls take, on meter <c>Seckill.Storage</c>:
/// <c>seckill.redis.duration</c> (tag <c>redis.store</c>: pool, shard), timed in <c>Redis/RedisCalls</c>
/// which every Redis call of ours goes through; <c>seckill.db.duration</c> (tag <c>db.operation</c>:
/// the store method), timed in <c>Sql/SqlDatabase</c> from opening a connection to closing it, which
/// is one store operation (its queries, or its transaction) including the wait for a pooled connection.
/// </summary>
/// <remarks>
/// Static, made once per process, because the helpers it times are static or made outside DI; the
/// exporter takes it by name (<c>Ops/PrometheusExporter.ProcessMeters</c>). Recording takes no lock
/// and allocates nothing: a Redis call of the purchase path pays one timestamp and one histogram update.
/// </remarks>
internal static class StorageMetrics
{
    public const string MeterName = "Seckill.Storage";

    // From 0.1 ms (a Redis call on the same host) to 5 s (a database waiting on a lock).
    private static readonly InstrumentAdvice<double> LatencyBuckets = new()
    {
        HistogramBucketBoundaries = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    };

    private static readonly Meter Meter = new(MeterName);

    private static readonly Histogram<double> RedisDuration = Meter.CreateHistogram("seckill.redis.duration", "s",
        "Duration of Redis calls by store (pool, shard).", advice: LatencyBuckets);

    private static readonly Histogram<double> DbDuration = Meter.CreateHistogram("seckill.db.duration", "s",
        "Duration of database operations (connection opened to closed) by store method.", advice: LatencyBuckets);

    public static void RedisCallTook(string store, long startedTimestamp) =>
        RedisDuration.Record(Stopwatch.GetElapsedTime(startedTimestamp).TotalSeconds, new KeyValuePair<string, object?>("redis.store", store));

    /// <summary>Records <paramref name="operation"/>'s duration when <paramref name="connection"/> closes (or is disposed).</summary>
    public static void TimeUntilClosed(DbConnection connection, string operation, long startedTimestamp)
    {
        if (!DbDuration.Enabled)
        {
            return;
        }
        connection.StateChange += (_, change) =>
        {
            if (change.CurrentState == ConnectionState.Closed)
            {
                DbDuration.Record(Stopwatch.GetElapsedTime(startedTimestamp).TotalSeconds, new KeyValuePair<string, object?>("db.operation", operation));
            }
        };
    }
}
