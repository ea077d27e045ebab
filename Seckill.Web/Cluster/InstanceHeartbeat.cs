using Microsoft.Extensions.Options;

namespace Seckill.Web.Cluster;

/// <summary>
/// Announces this instance in the registry every second (<see cref="IInstanceRegistry"/>: its id,
/// its shard's address, the time), so that every instance knows which shards are alive.
/// </summary>
/// <remarks>
/// Before the first request it also refuses to start beside a live instance that has the same
/// <c>Seckill:InstanceId</c> but another shard: their order ids would collide.
/// </remarks>
public sealed partial class InstanceHeartbeat(
    IInstanceRegistry registry, IOptions<InstanceOptions> instance, TimeProvider time, ILogger<InstanceHeartbeat> log) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>An instance silent this long is taken for dead.</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromSeconds(5);

    private readonly int _id = instance.Value.InstanceId;

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
        while (await timer.WaitForNextTickAsync(stoppingToken))
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

    /// <summary>The instances whose last beat is younger than <see cref="StaleAfter"/>.</summary>
    public Task<IReadOnlyList<InstanceBeat>> ListLiveAsync() => registry.ListAliveSinceAsync(time.GetUtcNow() - StaleAfter);

    private Task BeatAsync() => registry.BeatAsync(_id, time.GetUtcNow());

    [LoggerMessage(Level = LogLevel.Warning, Message = "Heartbeat failed; the next tick retries")]
    private partial void LogBeatFailed(Exception e);
}
