using Microsoft.Extensions.Options;
using Seckill.Web.Http;

namespace Seckill.Web.Cluster;

/// <summary>
/// Announces this instance in the registry every second (<see cref="IInstanceRegistry"/>: its id,
/// its shard's address, the time, its shard's sell rates) and, from the same listing, tells the
/// router where the other live instances' shards are.
/// </summary>
/// <remarks>
/// Before the first request it also refuses to start beside a live instance that has the same
/// <c>Seckill:InstanceId</c> but another shard: their order ids would collide.
/// </remarks>
public sealed partial class InstanceHeartbeat(
    IInstanceRegistry registry, IShardRouter shards, SellRates rates, IOptions<InstanceOptions> instance, IOptions<ClusterOptions> cluster,
    TimeProvider time, ILogger<InstanceHeartbeat> log) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly int _id = instance.Value.InstanceId;
    private long _lastBeat;
    private long _lastWritten;

    /// <summary>An instance silent this long is taken for dead (<c>Cluster:DeadAfter</c>).</summary>
    public TimeSpan DeadAfter => cluster.Value.DeadAfter;

    /// <summary>When the last beat that reached the registry was taken (the minimum value before the first).</summary>
    public DateTimeOffset LastBeatWritten => new(Interlocked.Read(ref _lastWritten), TimeSpan.Zero);

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var same = (await ListLiveAsync()).FirstOrDefault(beat => beat.InstanceId == _id);
        if (same is not null && same.ShardEndpoint != registry.ShardEndpoint)
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
        while (await timer.NextTickAsync(stoppingToken))
        {
            try
            {
                await BeatAsync();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogBeatFailed(e);
            }
        }
    }

    /// <summary>The instances whose last beat is younger than <see cref="DeadAfter"/>.</summary>
    public Task<IReadOnlyList<InstanceBeat>> ListLiveAsync() => registry.ListAliveSinceAsync(time.GetUtcNow() - DeadAfter);

    private async Task BeatAsync()
    {
        var now = time.GetUtcNow();
        var last = Interlocked.Exchange(ref _lastBeat, now.UtcTicks);
        var elapsed = last == 0 ? Interval : TimeSpan.FromTicks(now.UtcTicks - last);
        await registry.BeatAsync(_id, now, rates.Tick(elapsed));
        Interlocked.Exchange(ref _lastWritten, now.UtcTicks);
        await shards.LearnAsync(await ListLiveAsync());
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Heartbeat failed; the next tick retries")]
    private partial void LogBeatFailed(Exception e);
}
