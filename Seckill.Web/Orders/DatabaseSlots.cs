using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;

namespace Seckill.Web.Orders;

/// <summary>
/// The buyers' requests that read the database — an order, a list of orders — take one of
/// <c>Orders:DatabaseConcurrency</c> slots; the others wait for a slot without holding a thread.
/// Payments and cancellations do not: they go through <see cref="PaymentWriter"/>, one batch at a
/// time, which must not queue behind the reads.
/// </summary>
/// <remarks>
/// In a flash sale thousands of buyers poll their order or pay in the same seconds. Unbounded,
/// those calls fill the database's connection pool (a new connection per poll once it ran dry)
/// and, with SQLite, whose calls run synchronously on the caller's thread, every thread-pool
/// thread, so that every request — refusals included — waited seconds (BENCHMARKS.md). MySQL
/// calls hold no thread (MySqlConnector), but the bound still keeps the database's work, and the
/// connections, to a fixed number while the rest wait their turn. How long they wait is
/// <c>seckill.db.slot.wait</c> (in <c>/metrics</c>: <c>seckill_db_slot_wait_seconds</c>), apart from
/// the database's own time (<c>seckill.db.duration</c>).
/// </remarks>
public sealed class DatabaseSlots(IOptions<OrderOptions> options, IMeterFactory meters)
{
    private readonly SemaphoreSlim _slots = new(options.Value.DatabaseConcurrency);
    private readonly Histogram<double> _waits = meters.Create("Seckill.Orders").CreateHistogram<double>("seckill.db.slot.wait", "s",
        "How long a buyer's database read (an order, a list of orders) waited for one of Orders:DatabaseConcurrency slots.",
        advice: new() { HistogramBucketBoundaries = [0.0001, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] });

    public async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        var queuedAt = Stopwatch.GetTimestamp();
        await _slots.WaitAsync(cancellationToken);
        _waits.Record(Stopwatch.GetElapsedTime(queuedAt).TotalSeconds);
        try
        {
            return await work(cancellationToken);
        }
        finally
        {
            _slots.Release();
        }
    }
}
