namespace Seckill.Web.Stock;

/// <summary>
/// Stock held for one buyer on one shard, on its way to becoming an order.
/// Its <see cref="OrderId"/> is the order's id from the first moment, so every step after it
/// (write, confirm, replay) is idempotent by that id.
/// </summary>
/// <param name="ShardId">The shard whose units it holds: stored with the order, so that what a shard
/// holds can be worked out from the database alone (<c>Orders/ShardRecovery</c>).</param>
public readonly record struct Reservation(long OrderId, long SaleId, long UserId, int Quantity, long AmountCents, long CreatedAtMs, int ShardId);
