using Seckill.Web.Allocation;
using Seckill.Web.Cluster;
using Seckill.Web.Sales;
using Seckill.Web.Stock;

namespace Seckill.Web.Purchasing;

/// <summary>
/// Reserves an admitted buyer's units on this instance's shard, asking the allocator for a refill
/// when the shard runs short; the one who finds everything empty marks the sale sold out.
/// </summary>
public sealed class StockReserver(IShardRouter shards, Allocator allocator, SoldOutBoard soldOut, ISoldOutBroadcast broadcast)
{
    /// <summary>
    /// A buyer is refused for lack of stock only when the pool is empty and every unit that left
    /// it has landed on the shard: each turn reserves, or waits for the refill under way and looks
    /// again, or finds the pool empty; then one last look decides.
    /// </summary>
    /// <param name="observedSoldOut">The sold-out board's version the buyer was admitted under.</param>
    /// <exception cref="StockUnavailableException">The shard or the pool did not answer.</exception>
    public async ValueTask<ReserveResult> ReserveAsync(Sale sale, Reservation reservation, long observedSoldOut)
    {
        var shard = shards.Get(reservation.ShardId);
        var movesSeen = allocator.MovesDone(sale.Id);
        var result = await shard.ReserveAsync(reservation);
        var lastLook = false;
        while (result.Status == ReserveStatus.Insufficient)
        {
            if (!await allocator.RefillAsync(sale.Id, reservation.Quantity, sale.Stock, movesSeen))
            {
                if (lastLook)
                {
                    // Only an empty shard means sold out for everyone; with a few units left,
                    // smaller orders can still be served.
                    if (result.Available == 0 && soldOut.TryMarkSoldOut(sale.Id, observedSoldOut))
                    {
                        broadcast.SoldOut(sale.Id);
                    }
                    break;
                }
                lastLook = true;
            }
            movesSeen = allocator.MovesDone(sale.Id);
            result = await shard.ReserveAsync(reservation);
        }
        return result;
    }
}
