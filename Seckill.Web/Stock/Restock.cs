using Seckill.Web.Orders;

namespace Seckill.Web.Stock;

/// <summary>
/// Puts stock back into circulation when it stops being held: a reservation the database
/// refused goes back to the shard it came from; a cancelled or expired order goes back to the
/// pool. Either way the buyer's mark is cleared (they may try again) and the sold-out flag drops.
/// </summary>
public sealed class Restock(IStockPool pool, IStockShard shard, SoldOutBoard soldOut, IdGenerator ids)
{
    public async ValueTask ReservationFailedAsync(Reservation reservation)
    {
        await shard.FailAsync(reservation);
        soldOut.StockReturned(reservation.SaleId);
    }

    public async ValueTask OrderEndedAsync(EndedOrder order)
    {
        await pool.PutAsync(order.SaleId, order.Quantity, ids.Next());
        await shard.ReleaseMarkAsync(order.SaleId, order.UserId, order.OrderId);
        soldOut.StockReturned(order.SaleId);
    }
}
