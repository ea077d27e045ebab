using Seckill.Web.Cluster;
using Seckill.Web.Stock;

namespace Seckill.Web.Orders;

/// <summary>
/// Puts stock back into circulation when it stops being held: a reservation the database
/// refused goes back to the shard it came from; a cancelled or expired order went back to the
/// pool with the transaction that ended it. Either way the buyer's mark is cleared (they may try
/// again) and the sold-out flag drops.
/// </summary>
public sealed partial class Restock(IShardRouter shards, SoldOutBoard soldOut, ISoldOutBroadcast broadcast, ILogger<Restock> log)
{
    /// <summary>A reservation that will not become an order (refused, or the writer is shutting down).</summary>
    public ValueTask ReservationFailedAsync(Reservation reservation) => ReservationRefusedAsync(new OrderWrite(reservation, false, null));

    /// <summary>Undoes a reservation the database refused, according to why it refused.</summary>
    public async ValueTask ReservationRefusedAsync(OrderWrite refusal)
    {
        var reservation = refusal.Reservation;
        // The database says these units are already sold: memory and database disagree, and the
        // database is the truth. Putting the units back would only have them reserved and refused
        // again, forever; they leave circulation instead.
        var unitsExist = refusal.RefusalCode != OrderWrite.SoldOut;
        if (!unitsExist)
        {
            LogDrift(reservation.SaleId, reservation.Quantity);
        }
        var shard = shards.Get(reservation.ShardId);
        await shard.FailAsync(reservation, returnUnits: unitsExist);
        if (refusal.ExistingOrderId != 0)
        {
            // The buyer does hold an order: remember it, so their retries are answered in memory.
            await shard.RestoreMarkAsync(reservation.SaleId, reservation.UserId, refusal.ExistingOrderId);
        }
        if (unitsExist)
        {
            soldOut.StockReturned(reservation.SaleId);
        }
    }

    /// <summary>
    /// An order ended (cancelled, expired): the transaction that ended it already put its units
    /// back in the pool; here the buyer may try again and the sold-out flag drops everywhere.
    /// </summary>
    public async ValueTask OrderEndedAsync(EndedOrder order)
    {
        await ReleaseMarkAsync(order);
        StockBack(order.SaleId);
    }

    /// <summary>
    /// Orders ended together (expiry, in chunks of hundreds): as <see cref="OrderEndedAsync"/>, but
    /// the marks are released all at once, so their calls to a shard travel together instead of
    /// one round trip each, and each sale's flag drops once instead of once per order (a message
    /// to every instance).
    /// </summary>
    public async Task OrdersEndedAsync(IReadOnlyList<EndedOrder> orders)
    {
        await Task.WhenAll(orders.Select(order => ReleaseMarkAsync(order).AsTask()));
        foreach (var saleId in orders.Select(order => order.SaleId).Distinct())
        {
            StockBack(saleId);
        }
    }

    private async ValueTask ReleaseMarkAsync(EndedOrder order)
    {
        // The mark is on the shard the order was taken on, this instance's or another's. One this
        // instance cannot reach keeps its mark until that shard is next set from the database
        // (its recovery restores the marks of active orders only).
        if (shards.TryGet(order.ShardId, out var shard))
        {
            try
            {
                await shard.ReleaseMarkAsync(order.SaleId, order.UserId, order.OrderId);
            }
            catch (StockUnavailableException)
            {
                // Away now: the units are in the pool already; only the buyer's retry waits for its recovery.
            }
        }
    }

    private void StockBack(long saleId)
    {
        soldOut.StockReturned(saleId);
        broadcast.StockBack(saleId);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sale {SaleId}: the database refused {Units} units as already sold; they leave circulation")]
    private partial void LogDrift(long saleId, int units);
}
