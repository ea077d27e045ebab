namespace Seckill.Web.Storage.Redis;

/// <summary>Where the clustered mode's two Redis are, and which shard this instance owns.</summary>
/// <param name="Pool">StackExchange.Redis configuration of the Redis every instance shares (setting <see cref="PoolKey"/>).</param>
/// <param name="Shard">Configuration of this instance's own Redis (setting <see cref="ShardKey"/>).</param>
/// <param name="ShardId">The id of the shard it holds: the instance's id.</param>
public sealed record RedisSettings(string Pool, string Shard, int ShardId)
{
    public const string PoolKey = "Redis:Pool";
    public const string ShardKey = "Redis:Shard";
}
