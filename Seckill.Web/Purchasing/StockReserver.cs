using System.Diagnostics;
using Seckill.Web.Allocation;
using Seckill.Web.Cluster;
using Seckill.Web.Sales;
using Seckill.Web.Stock;

namespace Seckill.Web.Purchasing;

/// <summary>
/// Reserves an admitted buyer's units on the sale's shard for this instance (its own, or the
/// end-game shard), asking the allocator for a refill when the shard runs short; the one who finds
/// everything empty marks the sale sold out.
/// </summary>
public sealed class StockReserver(IShardRouter shards, Allocator allocator, SoldOutBoard soldOut, ISoldOutBroadcast broadcast)
{
    /// <summary>
    /// A buyer is refused for lack of stock only when the pool is empty, no other shard has units
    /// to spare, and every unit that left the pool has landed: each turn reserves, or waits for the
    /// refill under way and looks again, or finds nothing anywhere; then one last look decides.
    /// </summary>
    /// <param name="observedSoldOut">The sold-out board's version the buyer was admitted under.</param>
    /// <returns>The answer, and the reservation as taken (its shard may be the end game's).</returns>
    /// <exception cref="StockUnavailableException">The shard or the pool did not answer.</exception>
    public async ValueTask<(ReserveResult Result, Reservation Reservation)> ReserveAsync(Sale sale, Reservation reservation, long observedSoldOut)
    {
        var lane = allocator.For(sale.Id);
        var local = shards.Local.Id;
        var movesSeen = lane.MovesDone;
        reservation = reservation with { ShardId = lane.ShardFor(local) };
        var result = await shards.Get(reservation.ShardId).ReserveAsync(reservation);
        var lastLook = false;
        while (true)
        {
            if (result.Status == ReserveStatus.Reserved)
            {
                allocator.Reserved(lane, reservation.Quantity, result.Available);
                break;
            }
            if (result.Status == ReserveStatus.Fenced && reservation.ShardId != local && lane.EndgameShard == reservation.ShardId)
            {
                // The end-game shard was reclaimed (its instance died): back to this instance's own.
                lane.EndgameShard = SaleLane.NoEndgame;
            }
            else if (result.Status != ReserveStatus.Insufficient)
            {
                break;
            }
            else if (!await allocator.RefillAsync(lane, reservation.Quantity, sale.Stock, movesSeen, Stopwatch.GetTimestamp()))
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
            movesSeen = lane.MovesDone;
            reservation = reservation with { ShardId = lane.ShardFor(local) };
            result = await shards.Get(reservation.ShardId).ReserveAsync(reservation);
        }
        return (result, reservation);
    }
}
