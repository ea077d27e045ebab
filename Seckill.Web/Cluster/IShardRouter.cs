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

public static class ShardRouterExtensions
{
    /// <summary>
    /// The shard, opened from its instance's last beat in the registry if this instance has not met
    /// it: the heartbeat opens live instances' shards only, and a dead instance's shard (its Redis
    /// may still answer) is still needed to end its end games and land its moves. Null if the
    /// registry has no beat of it either.
    /// </summary>
    public static async ValueTask<IStockShard?> GetOrLearnAsync(this IShardRouter shards, IInstanceRegistry registry, int shardId)
    {
        if (!shards.TryGet(shardId, out var shard) &&
            (await registry.ListAllAsync()).FirstOrDefault(beat => beat.InstanceId == shardId) is { } beat)
        {
            await shards.LearnAsync([beat]);
            shards.TryGet(shardId, out shard);
        }
        return shard;
    }
}
