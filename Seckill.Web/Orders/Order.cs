using Seckill.Web.Stock;
namespace Seckill.Web.Orders;

/// <summary>Order statuses as the API and the databases spell them.</summary>
public static class OrderStatus
{
    /// <summary>Reserved in the shard, not yet committed to the database (never stored).</summary>
    public const string Queued = "queued";
    public const string AwaitingPayment = "awaiting_payment";
    public const string Paid = "paid";
    public const string Cancelled = "cancelled";
    public const string Expired = "expired";
    /// <summary>The database refused the order; its stock went back to the shard.</summary>
    public const string Failed = "failed";
}

/// <summary>An order as the database holds it.</summary>
public sealed record Order(
    long Id, long SaleId, long UserId, int Quantity, long AmountCents, string Status, string? Reason,
    DateTimeOffset CreatedAt, DateTimeOffset? PayBy);

/// <summary>An order that stopped holding stock (cancelled or expired): its units go back to the pool.</summary>
/// <param name="ShardId">The shard its reservation was taken on (where the buyer's mark is).</param>
public readonly record struct EndedOrder(long OrderId, long SaleId, long UserId, int Quantity, int ShardId = 0);

/// <summary>What the database did with one reservation of a batch.</summary>
/// <param name="RefusalCode">
/// When refused: <c>sold_out</c> (the sold guard), <c>already_purchased</c> (the unique index) or
/// <c>id_collision</c> (the id belongs to a different order: a misconfigured instance id).
/// </param>
/// <param name="ExistingOrderId">With <c>already_purchased</c>: the active order the user already holds.</param>
public readonly record struct OrderWrite(Reservation Reservation, bool Committed, string? RefusalCode, long ExistingOrderId = 0)
{
    public const string SoldOut = "sold_out";
    public const string AlreadyPurchased = "already_purchased";
    public const string IdCollision = "id_collision";
}

/// <summary>Units of a sale by order state, as the database counts them.</summary>
/// <param name="ActiveByShard">Units of active orders (awaiting payment or paid) per shard they were reserved on.</param>
public sealed record SaleOrderCounts(long Sold, long AwaitingPayment, long Paid, long Cancelled, long Expired, long Failed,
    IReadOnlyDictionary<int, long> ActiveByShard);

/// <summary>
/// What the reconcile job reads of a sale in one statement: the sold counter, the units its active
/// orders hold, and the number of those orders taken on one shard (the buyers that shard must mark).
/// </summary>
public readonly record struct SaleTally(long SoldCounter, long SoldByOrders, long BuyersOnShard);

public enum PaymentOutcome { NotFound, Paid, AlreadyPaid, Expired, Cancelled, Failed }

public enum CancelOutcome { NotFound, Cancelled, AlreadyCancelled, Paid, Expired, Failed }

/// <summary>
/// A buyer's payment or cancellation of an order, as the payment writer batches them. An order
/// that is not <paramref name="BuyerId"/>'s is judged as missing (null: anyone's, for an admin),
/// so a payment needs no read of its own to check whose order it is.
/// </summary>
public readonly record struct OrderChange(long OrderId, OrderChangeKind Kind, long? BuyerId);

public enum OrderChangeKind { Pay, Cancel }

/// <summary>What one <see cref="OrderChange"/> did: the outcome of its kind, and the order if it stopped holding stock (cancelled, or expired on a late payment).</summary>
public readonly record struct OrderChangeResult(PaymentOutcome Payment, CancelOutcome Cancel, EndedOrder? Ended);
