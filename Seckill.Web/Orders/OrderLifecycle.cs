using Seckill.Web.Stock;

namespace Seckill.Web.Orders;

/// <summary>
/// Payment, cancellation and expiry: each is one database transaction (so payment and expiry
/// race atomically and exactly one wins), followed by returning the stock of an order that
/// ended to the pool.
/// </summary>
/// <remarks>
/// Both drivers run their "async" calls synchronously, and a transaction waits for the disk. A
/// burst of payments right after a sale sells out (the load tool's flash-sale scenario) would
/// block a thread each and starve the thread pool, and then every request, refusals included,
/// waits for a thread. So at most <c>Orders:PaymentConcurrency</c> payments and cancellations
/// are in the database at once; the others wait asynchronously, holding no thread.
/// </remarks>
public sealed class OrderLifecycle(IOrderStore store, Restock restock, Microsoft.Extensions.Options.IOptions<OrderOptions> options)
{
    private readonly SemaphoreSlim _database = new(options.Value.PaymentConcurrency);

    public async Task<PaymentOutcome> PayAsync(long orderId, CancellationToken cancellationToken)
    {
        var (outcome, expired) = await InDatabaseAsync(() => store.PayAsync(orderId, cancellationToken), cancellationToken);
        if (expired is { } order)
        {
            await restock.OrderEndedAsync(order);
        }
        return outcome;
    }

    public async Task<CancelOutcome> CancelAsync(long orderId, CancellationToken cancellationToken)
    {
        var (outcome, cancelled) = await InDatabaseAsync(() => store.CancelAsync(orderId, cancellationToken), cancellationToken);
        if (cancelled is { } order)
        {
            await restock.OrderEndedAsync(order);
        }
        return outcome;
    }

    private async Task<T> InDatabaseAsync<T>(Func<Task<T>> work, CancellationToken cancellationToken)
    {
        await _database.WaitAsync(cancellationToken);
        try
        {
            return await work();
        }
        finally
        {
            _database.Release();
        }
    }

    /// <summary>Expires every order past its deadline, in chunks; returns how many expired.</summary>
    public async Task<int> ExpireDueAsync(CancellationToken cancellationToken)
    {
        const int Chunk = 500;
        var total = 0;
        while (true)
        {
            var expired = await store.ExpireDueAsync(Chunk, cancellationToken);
            foreach (var order in expired)
            {
                await restock.OrderEndedAsync(order);
            }
            total += expired.Count;
            if (expired.Count < Chunk)
            {
                return total;
            }
        }
    }
}
