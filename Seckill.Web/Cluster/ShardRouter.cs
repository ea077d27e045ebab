using Seckill.Web.Stock;

namespace Seckill.Web.Cluster;

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
