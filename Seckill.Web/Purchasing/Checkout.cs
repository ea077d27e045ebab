using Seckill.Web.Cluster;
using Seckill.Web.Gate;
using Seckill.Web.Sales;
using Seckill.Web.Stock;

namespace Seckill.Web.Purchasing;

/// <summary>
/// The purchase path (ARCHITECTURE §2) after authentication and validation: the sale is found,
/// the buyer admitted (<see cref="Admission"/>, in memory), the units reserved on the shard in one
/// atomic step (<see cref="StockReserver"/>) and the order confirmed (<see cref="OrderConfirmation"/>).
/// An admitted buyer is shed instead, before anything is reserved, while the instance is
/// overloaded (<see cref="LoadShedder"/>) or its order writer is too far behind
/// (<see cref="OrderConfirmation.WriterIsBehind"/>): the refusals decided in memory are still answered.
/// </summary>
/// <remarks>
/// Hot path: a refused request allocates nothing and does no I/O. The bot rules and the
/// blacklist are checked before this, in <see cref="PurchaseApi"/>, before the body is read.
/// </remarks>
public sealed class Checkout(
    SaleDirectory sales, Admission admission, StockReserver reserver, OrderConfirmation confirmation, IShardRouter shards,
    IdGenerator ids, IOverloadSignal overload, TimeProvider time, PurchaseLog log)
{
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
        var now = time.GetUtcNow();
        if (!admission.TryAdmit(sale, userId, quantity, token, now, out var refusal, out var observedSoldOut))
        {
            return new(refusal);
        }
        if (overload.Overloaded || confirmation.WriterIsBehind)
        {
            return new(PurchaseStatus.Overloaded);
        }
        var reservation = new Reservation(
            ids.Next(), sale!.Id, userId, (int)quantity, sale.PriceCents * quantity, now.ToUnixTimeMilliseconds(), shards.Local.Id);
        return ReserveAsync(sale, reservation, observedSoldOut);
    }

    private async ValueTask<PurchaseOutcome> ReserveAsync(Sale sale, Reservation reservation, long observedSoldOut)
    {
        ReserveResult result;
        try
        {
            (result, reservation) = await reserver.ReserveAsync(sale, reservation, observedSoldOut);
        }
        catch (StockUnavailableException e)
        {
            log.StockUnavailable(sale.Id, e);
            // The shard or pool did not answer (restarting, unreachable). If the reservation did
            // land, it is in the shard's unconfirmed list and becomes an order by replay; the
            // buyer's retry then finds their mark and is told the order id.
            return PurchaseStatus.Unavailable;
        }
        return result.Status switch
        {
            ReserveStatus.Reserved => await confirmation.ConfirmAsync(reservation),
            ReserveStatus.AlreadyHolding => new(PurchaseStatus.AlreadyPurchased, result.ExistingOrderId),
            ReserveStatus.Insufficient => PurchaseStatus.SoldOut,
            // The shard lost writes and is being set right from the database (Orders/ShardRecovery,
            // raised by the shard itself): a moment, then the buyer's retry is served.
            ReserveStatus.Fenced => PurchaseStatus.Unavailable,
            _ => throw new InvalidOperationException($"Unhandled reserve status {result.Status}."),
        };
    }
}
