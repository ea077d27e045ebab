using Seckill.Web.Stock;

namespace Seckill.Web.Cluster;

/// <summary>
/// Which shard is where: the one place the purchase path, the order writer, restock, replay and
/// the allocator ask for a shard. A reservation names its shard (<see cref="Reservation.ShardId"/>);
/// its confirmation, failure or replay goes to that shard.
/// </summary>
public interface IShardRouter
{
    /// <summary>This instance's own shard: where its buyers reserve, outside a sale's end game.</summary>
    IStockShard Local { get; }

    /// <summary>The shard with id <paramref name="shardId"/>.</summary>
    /// <exception cref="StockUnavailableException">This instance does not know where that shard is (yet).</exception>
    IStockShard Get(int shardId);

    bool TryGet(int shardId, out IStockShard shard);

    /// <summary>Every shard this instance can reach, its own included.</summary>
    IReadOnlyCollection<IStockShard> Known { get; }

    /// <summary>The registry says where the instances' shards are: open those not known yet (bounded by <c>Cluster:MaxShardConnections</c>).</summary>
    Task LearnAsync(IReadOnlyList<InstanceBeat> instances);
}
