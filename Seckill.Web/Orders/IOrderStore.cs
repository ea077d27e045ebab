using Seckill.Web.Stock;
namespace Seckill.Web.Orders;

/// <summary>
/// The orders database (SQLite embedded, MySQL clustered). Every state change is one
/// transaction that keeps the sale's <c>sold</c> counter equal to the units of its active orders.
/// Deadlines are judged by the clock read inside the transaction, once it holds its locks.
/// </summary>
public interface IOrderStore
{
    /// <summary>
    /// Writes a batch of reservations in one transaction. Each row either becomes an order
    /// (the guarded <c>sold + n &lt;= total_stock</c> update passed and no other active order of
    /// the user exists) or a <c>failed</c> order. Idempotent by order id: a reservation already
    /// written reports what was written before. Results are in the batch's order. The payment
    /// deadline runs from the commit (or the reservation, if later), so a slow write never hands
    /// the buyer an order that is already past due.
    /// </summary>
    Task<IReadOnlyList<OrderWrite>> WriteAsync(IReadOnlyList<Reservation> batch, TimeSpan paymentTimeout, CancellationToken cancellationToken);

    Task<Order?> FindAsync(long orderId, CancellationToken cancellationToken);

    /// <summary>The stored orders among <paramref name="orderIds"/>, in one statement (ids not found are left out).</summary>
    Task<IReadOnlyList<Order>> FindManyAsync(IReadOnlyCollection<long> orderIds, CancellationToken cancellationToken);

    /// <summary>
    /// Payments and cancellations of many orders in one transaction (one commit, one fsync), judged
    /// in the batch's order; results in the batch's order. A payment is atomic against expiry: an
    /// order whose deadline has passed is expired instead (reported in its result's
    /// <see cref="OrderChangeResult.Ended"/> so its stock can be returned). A cancelled order's units
    /// go back to the pool in the same transaction. An order that is not the change's
    /// <see cref="OrderChange.BuyerId"/>'s is judged as missing.
    /// </summary>
    Task<IReadOnlyList<OrderChangeResult>> ChangeAsync(IReadOnlyList<OrderChange> changes, CancellationToken cancellationToken);

    /// <summary>Expires up to <paramref name="limit"/> orders whose payment deadline has passed; their units go back to the pool.</summary>
    Task<IReadOnlyList<EndedOrder>> ExpireDueAsync(int limit, CancellationToken cancellationToken);

    Task<SaleOrderCounts> CountAsync(long saleId, CancellationToken cancellationToken);

    /// <summary>The sold counters of <paramref name="saleIds"/> (a sale not found is left out): one row each, no order read.</summary>
    Task<IReadOnlyDictionary<long, long>> SoldCountersAsync(IReadOnlyCollection<long> saleIds, CancellationToken cancellationToken);

    /// <summary>
    /// The sale's sold counter (what the order writer's guarded update checks), the units its
    /// active orders hold, and how many of those orders were taken on shard <paramref name="shardId"/>,
    /// read together in one statement: in a sound database the first two are equal, and the last is
    /// the number of marks that shard must hold.
    /// </summary>
    Task<SaleTally> TallyAsync(long saleId, int shardId, CancellationToken cancellationToken);

    /// <summary>Sets the sold counter to the units the active orders hold (the orders are the truth), under the sale's lock.</summary>
    Task RepairSoldAsync(long saleId, CancellationToken cancellationToken);

    /// <summary>Those of <paramref name="saleIds"/> that have ended: they take no purchase any more, so no shard needs their buyers' marks.</summary>
    Task<IReadOnlySet<long>> EndedAmongAsync(IReadOnlyCollection<long> saleIds, CancellationToken cancellationToken);

    /// <summary>User → order for the active orders of a sale taken on shard <paramref name="shardId"/>: the marks that shard must hold.</summary>
    Task<IReadOnlyDictionary<long, long>> ListBuyersAsync(long saleId, int shardId, CancellationToken cancellationToken);

    /// <summary>Which of <paramref name="orderIds"/> are written, whatever their status (a failed row included).</summary>
    Task<IReadOnlySet<long>> FindWrittenAsync(IReadOnlyCollection<long> orderIds, CancellationToken cancellationToken);

    /// <summary>The highest order id stored: ids made after a restart must be above it.</summary>
    Task<long> MaxOrderIdAsync(CancellationToken cancellationToken);

    Task PingAsync(CancellationToken cancellationToken);
}
