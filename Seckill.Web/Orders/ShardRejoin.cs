using Seckill.Web.Cluster;
using Seckill.Web.Stock;

namespace Seckill.Web.Orders;

/// <summary>
/// Sets this instance's shard from the database (<see cref="ShardRecovery"/>) under the reclaim's
/// lock, and, if the shard was reclaimed meanwhile, rejoins it empty: its stock is in the pool by
/// the ledger, so the recovery sets it to what the ledger says it holds, which is nothing, and the
/// fence goes. Run at every start (<see cref="StartupRecovery"/>) and when a running instance finds
/// its shard reclaimed (<see cref="RejoinWatch"/>).
/// </summary>
/// <remarks>
/// The reclaim's lock is held meanwhile, so a reclaim still under way elsewhere finishes before the
/// shard is set, never during.
/// </remarks>
public sealed partial class ShardRejoin(
    IOrderStore orders, ShardRecovery recovery, IShardRouter shards, IInstanceRegistry registry, TimeProvider time, ILogger<ShardRejoin> log)
{
    /// <summary>Recovers the shard; rejoins it if it was reclaimed.</summary>
    public async Task RecoverAsync(CancellationToken cancellationToken)
    {
        var shard = shards.Local;
        var owner = $"rejoin-{shard.Id}-{Guid.NewGuid():N}";
        // A reclaim holds the lock for at most a minute; wait for it rather than race it.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(ReclaimLock.For + TimeSpan.FromSeconds(30));
        while (!await registry.TryLockAsync(ReclaimLock.Of(shard.Id), owner, ReclaimLock.For))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200), time, deadline.Token);
        }
        try
        {
            var fenced = await shard.IsReclaimedAsync();
            var reclaimed = fenced || (await registry.ListReclaimedAsync()).ContainsKey(shard.Id);
            if (reclaimed && !fenced)
            {
                await DropBlindlyReclaimedAsync(shard, cancellationToken);
            }
            // Set from the ledger first, while the reclaim's fence still stands (the recovery
            // cannot lift it): a crash before the fence goes leaves right counters behind it.
            await recovery.RecoverAsync(cancellationToken);
            if (reclaimed)
            {
                // The registry's mark first, the shard's own flag next: a rejoin cut short between
                // the two still finds its shard reclaimed and is run again whole, never taken for a
                // reclaim that could not reach the shard (which drops its unwritten reservations).
                LogRejoining(shard.Id);
                await registry.ForgetReclaimedAsync(shard.Id);
                await shard.RejoinAsync();
                await shard.LiftFenceAsync();
            }
        }
        finally
        {
            await registry.UnlockAsync(ReclaimLock.Of(shard.Id), owner);
        }
    }

    /// <summary>
    /// The reclaim could not reach this shard (its Redis was away): it gave away what the ledger said
    /// the shard held, without the reservations the shard had not had written. Those units were sold
    /// again since; the reservations are refused now, each logged as lost (README, durability).
    /// </summary>
    private async Task DropBlindlyReclaimedAsync(IStockShard shard, CancellationToken cancellationToken)
    {
        var unconfirmed = await shard.ReclaimAsync();
        var written = await orders.FindWrittenAsync(unconfirmed.Select(reservation => reservation.OrderId).ToList(), cancellationToken);
        foreach (var reservation in unconfirmed)
        {
            if (written.Contains(reservation.OrderId))
            {
                await shard.ConfirmAsync([reservation]);
            }
            else
            {
                LogLost(reservation.OrderId, reservation.SaleId, reservation.UserId);
                await shard.FailAsync(reservation, returnUnits: false);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error,
        Message = "Order {OrderId} (sale {SaleId}, user {UserId}) was acknowledged on this shard but not written before the shard was reclaimed without being reached: it is lost")]
    private partial void LogLost(long orderId, long saleId, long userId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shard {ShardId} was reclaimed while this instance was away: rejoining empty (its stock is back in the pool)")]
    private partial void LogRejoining(int shardId);
}
