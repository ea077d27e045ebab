using Seckill.Web.Cluster;
using Seckill.Web.Gate;
using Seckill.Web.Sales;
using Seckill.Web.Stock;

namespace Seckill.Web.Purchasing;

/// <summary>
/// Every refusal that can be decided in memory, before any stock is touched: the sale exists and
/// is on, the quantity is allowed, the token (if the sale needs one) is this buyer's, the buyer
/// holds no order yet, the sale is not sold out.
/// </summary>
/// <remarks>Hot path: no I/O and no allocation; almost every request of a flash sale ends here.</remarks>
public sealed class Admission(PurchaseTokens tokens, SoldOutBoard soldOut, IShardRouter shards)
{
    /// <param name="refusal">When refused: why (and, for a buyer who already holds one, their order).</param>
    /// <param name="observedSoldOut">When admitted: the sold-out board's version the buyer was admitted under (<see cref="SoldOutBoard.TryMarkSoldOut"/>).</param>
    public bool TryAdmit(Sale? sale, long userId, long quantity, string? token, DateTimeOffset now,
        out PurchaseOutcome refusal, out long observedSoldOut)
    {
        observedSoldOut = 0;
        refusal = default;
        if (sale is null)
        {
            refusal = PurchaseStatus.UnknownSale;
        }
        else if (quantity < 1 || quantity > sale.PerUserLimit)
        {
            refusal = PurchaseStatus.InvalidQuantity;
        }
        else if (!sale.HasStarted(now))
        {
            refusal = PurchaseStatus.NotStarted;
        }
        else if (sale.HasEnded(now))
        {
            refusal = PurchaseStatus.Ended;
        }
        else if (sale.RequireToken && (token is null || !tokens.IsValid(token, sale.Id, userId)))
        {
            refusal = PurchaseStatus.BadToken;
        }
        // A buyer reserves on this instance's shard, so that is where their mark is.
        else if (shards.Local.TryGetKnownOrder(sale.Id, userId, out var existing))
        {
            refusal = new PurchaseOutcome(PurchaseStatus.AlreadyPurchased, existing);
        }
        else if (soldOut.IsSoldOut(sale.Id, out observedSoldOut))
        {
            refusal = PurchaseStatus.SoldOut;
        }
        else
        {
            return true;
        }
        return false;
    }
}
