using Microsoft.Extensions.Options;
using Seckill.Web.Orders;
using Seckill.Web.Stock;

namespace Seckill.Web.Purchasing;

/// <summary>
/// Hands a reservation to the <see cref="OrderWriter"/> and waits a moment (<c>Orders:ConfirmWaitMs</c>)
/// for its row: committed (201), refused, or still queued (202 with its place in the queue).
/// </summary>
public sealed class OrderConfirmation(OrderWriter writer, Restock restock, IOptions<OrderOptions> options)
{
    private readonly TimeSpan _confirmWait = TimeSpan.FromMilliseconds(options.Value.ConfirmWaitMs);

    public async ValueTask<PurchaseOutcome> ConfirmAsync(Reservation reservation)
    {
        if (!writer.TryEnqueue(reservation, out var pending))
        {
            // Shutting down: the units go back and the buyer may try another instance.
            await restock.ReservationFailedAsync(reservation);
            return PurchaseStatus.Unavailable;
        }
        if (!await pending.WaitAsync(_confirmWait))
        {
            var (position, etaMs) = writer.PositionOf(pending);
            return new(PurchaseStatus.Queued, reservation.OrderId, position, etaMs);
        }
        var write = await pending.Written;
        if (write.Committed)
        {
            return new(PurchaseStatus.Committed, reservation.OrderId);
        }
        if (write.ExistingOrderId != 0)
        {
            return new(PurchaseStatus.AlreadyPurchased, write.ExistingOrderId);
        }
        return new(write.RefusalCode == OrderWrite.SoldOut ? PurchaseStatus.RefusedSoldOut : PurchaseStatus.Refused, reservation.OrderId);
    }
}
