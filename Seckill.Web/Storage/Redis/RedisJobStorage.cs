using Hangfire;
using Hangfire.Redis.StackExchange;
using Seckill.Web.Jobs;

namespace Seckill.Web.Storage.Redis;

/// <summary>
/// Clustered mode: the jobs live in the pool Redis every instance shares, under the cluster's
/// prefix (<c>seckill:{cluster}:hangfire:</c>), so that all instances see one set of queues,
/// recurring jobs and locks.
/// </summary>
public sealed class RedisJobStorage(RedisConnections redis) : IJobStorageSource
{
    public JobStorage Create() =>
        new RedisStorage(redis.PoolMultiplexer, new RedisStorageOptions { Prefix = redis.KeyPrefix + "hangfire:", Db = redis.Pool.Database });
}
