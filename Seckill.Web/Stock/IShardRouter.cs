namespace Seckill.Web.Stock;

/// <summary>
/// Which shard holds what: the one place the purchase path, the order writer, restock and replay
/// ask for a shard, instead of each holding "the" shard. A reservation names its shard
/// (<see cref="Reservation.ShardId"/>); its confirmation, failure or replay goes to that shard.
/// </summary>
public interface IShardRouter
{
    /// <summary>This instance's own shard: where its buyers reserve.</summary>
    IStockShard Local { get; }

    /// <summary>The shard with id <paramref name="shardId"/>.</summary>
    /// <exception cref="InvalidOperationException">This instance cannot reach that shard.</exception>
    IStockShard Get(int shardId);
}

/// <summary>
/// Every instance reaches its own shard. Reservations are only ever taken on the local shard, so
/// every reservation this instance confirms, fails or replays is its own; stock moves between
/// instances go through the pool's ledger (<see cref="IStockPool"/>), not through another's shard.
/// </summary>
public sealed class ShardRouter(IStockShard local) : IShardRouter
{
    public IStockShard Local => local;

    public IStockShard Get(int shardId) => shardId == local.Id ? local : throw Unreachable(shardId);

    private InvalidOperationException Unreachable(int shardId) =>
        new($"Shard {shardId} is not reachable from this instance (shard {local.Id}): a reservation is confirmed by the instance that took it.");
}
