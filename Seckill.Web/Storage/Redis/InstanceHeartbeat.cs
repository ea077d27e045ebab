using Microsoft.Extensions.Options;
using Seckill.Web.Orders;
using StackExchange.Redis;

namespace Seckill.Web.Storage.Redis;

/// <summary>A live instance as the pool Redis knows it.</summary>
public sealed record InstanceBeat(int InstanceId, string ShardEndpoint, DateTimeOffset At);

/// <summary>
/// Announces this instance in the pool Redis every second: sorted set <c>heartbeats</c>
/// (instance id, scored by the time of its last beat) and hash <c>instances</c> (instance
/// id → its shard's address), under the cluster's key prefix. The allocator reads them to know which shards are alive.
/// </summary>
/// <remarks>
/// Before the first request it also refuses to start beside a live instance that has the same
/// <c>Seckill:InstanceId</c> but another shard: their order ids would collide.
/// </remarks>
public sealed partial class InstanceHeartbeat(
    RedisConnections redis, IOptions<InstanceOptions> instance, TimeProvider time, ILogger<InstanceHeartbeat> log) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>An instance silent this long is taken for dead.</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromSeconds(5);

    private RedisKey HeartbeatsKey => redis.KeyPrefix + "heartbeats";
    private RedisKey InstancesKey => redis.KeyPrefix + "instances";

    private readonly int _id = instance.Value.InstanceId;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var same = (await ListLiveAsync()).FirstOrDefault(beat => beat.InstanceId == _id);
        if (same is not null && same.ShardEndpoint != redis.ShardEndpoint)
        {
            throw new InvalidOperationException(
                $"Seckill:InstanceId {_id} is already used by a live instance with shard {same.ShardEndpoint}; every instance needs its own id.");
        }
        await BeatAsync();
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await BeatAsync();
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                LogBeatFailed(e);
            }
        }
    }

    /// <summary>The instances whose last beat is younger than <see cref="StaleAfter"/>.</summary>
    public async Task<IReadOnlyList<InstanceBeat>> ListLiveAsync()
    {
        var since = (time.GetUtcNow() - StaleAfter).ToUnixTimeMilliseconds();
        var live = await redis.Pool.SortedSetRangeByScoreWithScoresAsync(HeartbeatsKey, since);
        var beats = new List<InstanceBeat>(live.Length);
        foreach (var entry in live)
        {
            var endpoint = await redis.Pool.HashGetAsync(InstancesKey, entry.Element);
            beats.Add(new InstanceBeat((int)entry.Element, endpoint.IsNull ? "" : (string)endpoint!, DateTimeOffset.FromUnixTimeMilliseconds((long)entry.Score)));
        }
        return beats;
    }

    private async Task BeatAsync()
    {
        var batch = redis.Pool.CreateBatch();
        var endpoint = batch.HashSetAsync(InstancesKey, _id, redis.ShardEndpoint);
        var beat = batch.SortedSetAddAsync(HeartbeatsKey, _id, time.GetUtcNow().ToUnixTimeMilliseconds());
        batch.Execute();
        await Task.WhenAll(endpoint, beat);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Heartbeat failed; the next tick retries")]
    private partial void LogBeatFailed(Exception e);
}
