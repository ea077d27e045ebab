using Seckill.Web.Cluster;

namespace Seckill.Web.Orders;

/// <summary>
/// Before the first request, in either mode, once the storage is reachable: order ids continue
/// above every stored one, and this instance's shard is set from the database
/// (<see cref="ShardRecovery"/>): in embedded mode nothing of it survived the last process; in
/// clustered mode its Redis may have lost writes, or transfers to it were cut short by a crash.
/// Reservations the shard still holds unwritten are replayed next (<see cref="ReservationReplay"/>).
/// </summary>
/// <remarks>
/// A restarted instance first learns whether it was reclaimed while it was away (its shard says
/// so): then its stock is in the pool by the ledger and it rejoins empty — the recovery sets the
/// shard to what the ledger says it holds, which is nothing. The reclaim's lock is held meanwhile,
/// so a reclaim still under way elsewhere finishes before the shard is set, never during.
/// </remarks>
public sealed partial class StartupRecovery(
    IOrderStore orders, ShardRecovery recovery, IdGenerator ids, IShardRouter shards, IInstanceRegistry registry, TimeProvider time,
    ILogger<StartupRecovery> log) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        ids.AdvancePast(await orders.MaxOrderIdAsync(cancellationToken));
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
                LogRejoining(shard.Id);
                await shard.RejoinAsync();
                await registry.ForgetReclaimedAsync(shard.Id);
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
    private async Task DropBlindlyReclaimedAsync(Stock.IStockShard shard, CancellationToken cancellationToken)
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

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Error,
        Message = "Order {OrderId} (sale {SaleId}, user {UserId}) was acknowledged on this shard but not written before the shard was reclaimed without being reached: it is lost")]
    private partial void LogLost(long orderId, long saleId, long userId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shard {ShardId} was reclaimed while this instance was away: rejoining empty (its stock is back in the pool)")]
    private partial void LogRejoining(int shardId);
}
