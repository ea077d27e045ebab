using Seckill.Web.Allocation;
using Seckill.Web.Orders;
using Seckill.Web.Sales;

namespace Seckill.Web.Stock;

/// <summary>
/// Embedded mode, before the first request: the in-process stock died with the last process, so
/// it is re-derived from the database, the truth. For every sale still running: <c>sold</c> is
/// recomputed from the active orders, the buyers of those orders get their marks back, the rest
/// of the stock goes into the pool and the warm-up share onto the shard. Reservations that were
/// queued but not written when the process died are gone; their stock is not.
/// </summary>
public sealed partial class EmbeddedStockStartup(
    ISaleStore sales, IOrderStore orders, SaleDirectory directory, IStockPool pool, IStockShard shard, Allocator allocator,
    IdGenerator ids, TimeProvider time, ILogger<EmbeddedStockStartup> log) : IHostedService
{
    /// <summary>Ended sales get their stock back in memory this long, so their stock reports stay right.</summary>
    private static readonly TimeSpan EndedRetention = TimeSpan.FromDays(7);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        ids.AdvancePast(await orders.MaxOrderIdAsync(cancellationToken));
        var now = time.GetUtcNow();
        foreach (var sale in await sales.ListEndingAfterAsync(now - EndedRetention, cancellationToken))
        {
            var sold = await orders.RecomputeSoldAsync(sale.Id, cancellationToken);
            foreach (var (orderId, userId, _) in await orders.ListActiveAsync(sale.Id, cancellationToken))
            {
                await shard.RestoreMarkAsync(sale.Id, userId, orderId);
            }
            var unsold = sale.Stock - sold;
            await pool.SeedAsync(sale.Id, unsold);
            if (!sale.HasEnded(now))
            {
                await allocator.WarmUpAsync(sale.Id, unsold);
            }
            directory.Know(sale);
            LogRestored(sale.Id, sale.Stock, sold);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Sale {SaleId}: stock {Stock}, sold {Sold}; the rest is back in circulation")]
    private partial void LogRestored(long saleId, int stock, long sold);
}
