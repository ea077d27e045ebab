using Microsoft.Extensions.Options;

namespace Seckill.Web.Orders;

/// <summary>
/// The buyers' requests that reach the database — reading an order, paying, cancelling — take one
/// of <c>Orders:DatabaseConcurrency</c> slots; the others wait for a slot without holding a thread.
/// </summary>
/// <remarks>
/// In a flash sale thousands of buyers poll their order or pay in the same seconds. Unbounded,
/// those calls fill the database's connection pool (a new connection per poll once it ran dry)
/// and, with SQLite, whose calls run synchronously on the caller's thread, every thread-pool
/// thread, so that every request — refusals included — waited seconds (BENCHMARKS.md). MySQL
/// calls hold no thread (MySqlConnector), but the bound still keeps the database's work, and the
/// connections, to a fixed number while the rest wait their turn.
/// </remarks>
public sealed class DatabaseSlots(IOptions<OrderOptions> options)
{
    private readonly SemaphoreSlim _slots = new(options.Value.DatabaseConcurrency);

    public async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken);
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
