using Seckill.Web.Allocation;
using Seckill.Web.Cluster;
using Seckill.Web.Orders;
using Seckill.Web.Stock;

namespace Seckill.Web.Sales;

/// <summary>
/// A sale's stock term by term (<see cref="StockResponse"/>): the admin stock view and the
/// dashboard's Sales page show the same figures.
/// </summary>
public sealed class StockReport(SaleDirectory sales, IStockPool pool, IShardRouter shards, Allocator allocator, IOrderStore orders)
{
    /// <summary>The sale's figures; null if there is no such sale.</summary>
    public async Task<StockResponse?> ReadAsync(long saleId, CancellationToken cancellationToken)
    {
        if (await sales.FindAsync(saleId) is not { } sale)
        {
            return null;
        }
        var shard = shards.Local;
        var shardStock = await shard.GetAsync(saleId);
        var counts = await orders.CountAsync(saleId, cancellationToken);
        return new StockResponse(
            sale.Stock, await pool.GetAsync(saleId), shardStock.Available, shardStock.Reserved, await allocator.InTransitAsync(saleId), counts.Sold,
            counts.AwaitingPayment, counts.Paid, counts.Cancelled, counts.Expired, counts.Failed,
            [new ShardStockResponse(shard.Id, shardStock.Available, shardStock.Reserved)]);
    }
}
