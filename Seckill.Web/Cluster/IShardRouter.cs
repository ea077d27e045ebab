using Seckill.Web.Stock;

namespace Seckill.Web.Cluster;

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
