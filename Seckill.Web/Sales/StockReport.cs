using Seckill.Web.Allocation;
using Seckill.Web.Cluster;
using Seckill.Web.Orders;
using Seckill.Web.Stock;

namespace Seckill.Web.Sales;

/// <summary>
/// A sale's stock term by term (<see cref="StockResponse"/>): the admin stock view and the
/// dashboard's Sales page show the same figures.
/// </summary>
public sealed class StockReport(SaleDirectory sales, IStockPool pool, Allocator allocator, IOrderStore orders)
{
    /// <summary>The sale's figures; null if there is no such sale.</summary>
    public async Task<StockResponse?> ReadAsync(long saleId, CancellationToken cancellationToken)
    {
        if (await sales.FindAsync(saleId) is not { } sale)
        {
            return null;
        }
        var perShard = await allocator.ReportAsync(saleId);
        var counted = perShard.Where(shard => shard.Counts).ToList();
        var counts = await orders.CountAsync(saleId, cancellationToken);
        var moves = (await pool.MovesAsync(saleId)).ToDictionary(shard => shard.ShardId);
        return new StockResponse(
            sale.Stock, await pool.GetAsync(saleId), counted.Sum(shard => shard.Available), counted.Sum(shard => shard.Reserved),
            await allocator.InTransitAsync(saleId), counts.Sold, counts.AwaitingPayment, counts.Paid, counts.Cancelled, counts.Expired, counts.Failed,
            perShard.Select(shard =>
            {
                var moved = moves.GetValueOrDefault(shard.ShardId);
                return new ShardStockResponse(shard.ShardId, shard.Available, shard.Reserved, shard.Live, shard.Reachable, shard.Reclaimed,
                    counts.ActiveByShard.GetValueOrDefault(shard.ShardId), moved?.UnitsIn ?? 0, moved?.UnitsOut ?? 0);
            }).ToList());
    }
}
