using Microsoft.Extensions.Options;

namespace Seckill.Web.Orders;

/// <summary>
/// The buyers' requests that reach the database — reading an order, paying, cancelling — take one
/// of <c>Orders:DatabaseConcurrency</c> slots; the others wait for a slot without holding a thread.
/// </summary>
/// <remarks>
/// Both drivers (MySql.Data 8.0.16, Microsoft.Data.Sqlite) run their "async" calls synchronously,
/// so every call in the database holds a thread-pool thread until it answers. In a flash sale
/// thousands of buyers poll their order or pay in the same seconds: unbounded, those calls
/// blocked every thread, MySQL's connection pool ran dry and each poll opened a new connection,
/// and every request — refusals included — waited seconds for a thread (BENCHMARKS.md).
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
