using Seckill.Web.Cluster;
using StackExchange.Redis;

namespace Seckill.Web.Storage.Redis;

/// <summary>
/// The instance registry in the shared Redis: sorted set <c>heartbeats</c> (instance id, scored by
/// the time of its last beat) and hash <c>instances</c> (instance id → its shard's address), under
/// the cluster's key prefix.
/// </summary>
public sealed class RedisInstanceRegistry(RedisConnections redis) : IInstanceRegistry
{
    private RedisKey HeartbeatsKey => redis.KeyPrefix + "heartbeats";

    private RedisKey InstancesKey => redis.KeyPrefix + "instances";

    public string ShardEndpoint => redis.ShardEndpoint;

    public async Task BeatAsync(int instanceId, DateTimeOffset at)
    {
        var batch = redis.Pool.CreateBatch();
        var endpoint = batch.HashSetAsync(InstancesKey, instanceId, redis.ShardEndpoint);
        var beat = batch.SortedSetAddAsync(HeartbeatsKey, instanceId, at.ToUnixTimeMilliseconds());
        batch.Execute();
        await RedisCalls.Guard(Task.WhenAll(endpoint, beat), "pool");
    }

    public async Task<IReadOnlyList<InstanceBeat>> ListAliveSinceAsync(DateTimeOffset since)
    {
        var live = await RedisCalls.Guard(redis.Pool.SortedSetRangeByScoreWithScoresAsync(HeartbeatsKey, since.ToUnixTimeMilliseconds()), "pool");
        var beats = new List<InstanceBeat>(live.Length);
        foreach (var entry in live)
        {
            var endpoint = await RedisCalls.Guard(redis.Pool.HashGetAsync(InstancesKey, entry.Element), "pool");
            beats.Add(new InstanceBeat((int)entry.Element, endpoint.IsNull ? "" : (string)endpoint!, DateTimeOffset.FromUnixTimeMilliseconds((long)entry.Score)));
        }
        return beats;
    }
}
