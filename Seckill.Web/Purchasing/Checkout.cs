using Microsoft.Extensions.Options;
using Seckill.Web.Allocation;
using Seckill.Web.Gate;
using Seckill.Web.Orders;
using Seckill.Web.Sales;
using Seckill.Web.Stock;

namespace Seckill.Web.Purchasing;

public enum PurchaseStatus : byte
{
    /// <summary>The order is committed in the database (201).</summary>
    Committed,
    /// <summary>The reservation is recorded and the order is queued for the writer (202).</summary>
    Queued,
    /// <summary>The database refused the order within the wait (see <see cref="Restock.ReservationRefusedAsync"/>).</summary>
    Refused,
    UnknownSale,
    InvalidQuantity,
    NotStarted,
    Ended,
    SoldOut,
    AlreadyPurchased,
    /// <summary>The sale needs a purchase token and none valid for this buyer came.</summary>
    BadToken,
    /// <summary>The instance is shutting down, or its stock store (Redis) did not answer.</summary>
    Unavailable,
}

/// <param name="OrderId">The new order (Committed, Queued, Refused) or the one the buyer holds (AlreadyPurchased).</param>
/// <param name="RefusalCode">With Refused: why the database refused the order.</param>
public readonly record struct PurchaseOutcome(PurchaseStatus Status, long OrderId = 0, long Position = 0, long EtaMs = 0, string? RefusalCode = null)
{
    public static implicit operator PurchaseOutcome(PurchaseStatus status) => new(status);
}

/// <summary>
/// The purchase path (ARCHITECTURE §2) after authentication and validation: every refusal
/// that can be decided in memory is decided before any stock is touched; the winners reserve
/// on the shard in one atomic step and are handed to the <see cref="OrderWriter"/>.
/// </summary>
/// <remarks>
/// Hot path: a refused request allocates nothing and does no I/O (sale from the directory's
/// memory, token check, sold-out flag and buyer marks all in process). The bot rules and the
/// blacklist are checked before this, in <see cref="PurchaseApi"/>, before the body is read.
/// </remarks>
public sealed class Checkout(
    SaleDirectory sales, PurchaseTokens tokens, SoldOutBoard soldOut, ISoldOutBroadcast broadcast, IStockShard shard, Allocator allocator,
    OrderWriter writer, Restock restock, IdGenerator ids, TimeProvider time, IOptions<OrderOptions> options)
{
    private readonly TimeSpan _confirmWait = TimeSpan.FromMilliseconds(options.Value.ConfirmWaitMs);

    /// <param name="token">The purchase token the buyer sent, if any; needed by <c>requireToken</c> sales.</param>
    public ValueTask<PurchaseOutcome> PurchaseAsync(long saleId, long userId, long quantity, string? token)
    {
        var lookup = sales.FindAsync(saleId);
        return lookup.IsCompletedSuccessfully
            ? Admit(lookup.Result, userId, quantity, token)
            : AdmitAfterLookupAsync(lookup, userId, quantity, token);
    }

    /// <summary>Only for an id the directory had to read from storage (an ended sale, a Bloom false positive).</summary>
    private async ValueTask<PurchaseOutcome> AdmitAfterLookupAsync(ValueTask<Sale?> lookup, long userId, long quantity, string? token) =>
        await Admit(await lookup, userId, quantity, token);

    private ValueTask<PurchaseOutcome> Admit(Sale? sale, long userId, long quantity, string? token)
    {
        if (sale is null)
        {
            return new(PurchaseStatus.UnknownSale);
        }
        var saleId = sale.Id;
        if (quantity < 1 || quantity > sale.PerUserLimit)
        {
            return new(PurchaseStatus.InvalidQuantity);
        }
        var now = time.GetUtcNow();
        if (!sale.HasStarted(now))
        {
            return new(PurchaseStatus.NotStarted);
        }
        if (sale.HasEnded(now))
        {
            return new(PurchaseStatus.Ended);
        }
        if (sale.RequireToken && (token is null || !tokens.IsValid(token, saleId, userId)))
        {
            return new(PurchaseStatus.BadToken);
        }
        if (shard.TryGetKnownOrder(saleId, userId, out var existing))
        {
            return new(new PurchaseOutcome(PurchaseStatus.AlreadyPurchased, existing));
        }
        if (soldOut.IsSoldOut(saleId, out var observed))
        {
            return new(PurchaseStatus.SoldOut);
        }
        var reservation = new Reservation(ids.Next(), saleId, userId, (int)quantity, sale.PriceCents * quantity, now.ToUnixTimeMilliseconds(), shard.Id);
        return ReserveAsync(sale, reservation, observed);
    }

    /// <summary>
    /// Reserves on the shard; a buyer is refused for lack of stock only when the pool is empty
    /// and every unit that left it has landed on the shard: each turn reserves, or waits for the
    /// refill under way and looks again, or finds the pool empty; then one last look decides.
    /// </summary>
    private async ValueTask<ReserveResult> ReserveOrRefillAsync(Sale sale, Reservation reservation, long observedSoldOut)
    {
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

    private async ValueTask<PurchaseOutcome> ReserveAsync(Sale sale, Reservation reservation, long observedSoldOut)
    {
        ReserveResult result;
        try
        {
            result = await ReserveOrRefillAsync(sale, reservation, observedSoldOut);
        }
        catch (StockUnavailableException)
        {
            // The shard or pool Redis did not answer (restarting, unreachable). If the reservation
            // did land, it is in the shard's unconfirmed list and becomes an order by replay; the
            // buyer's retry then finds their mark and is told the order id.
            return PurchaseStatus.Unavailable;
        }

        switch (result.Status)
        {
            case ReserveStatus.AlreadyHolding:
                return new(PurchaseStatus.AlreadyPurchased, result.ExistingOrderId);
            case ReserveStatus.Insufficient:
                return PurchaseStatus.SoldOut;
            case ReserveStatus.Fenced:
                // The shard lost writes and is being set right from the database (ShardRecovery,
                // raised by the shard itself): a moment, then the buyer's retry is served.
                return PurchaseStatus.Unavailable;
        }

        if (!writer.TryEnqueue(reservation, out var pending))
        {
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
        return write.ExistingOrderId != 0
            ? new(PurchaseStatus.AlreadyPurchased, write.ExistingOrderId)
            : new(PurchaseStatus.Refused, reservation.OrderId, RefusalCode: write.RefusalCode);
    }
}
