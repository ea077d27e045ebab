using Seckill.Web.Cluster;
using Seckill.Web.Http;

namespace Seckill.Web.Orders;

/// <summary>
/// Rejoins this instance's shard when it was reclaimed while the instance still ran: taken for dead
/// because it was silent for <c>Cluster:DeadAfter</c> (paused, starved of CPU, or cut off from the
/// pool Redis) and then back. Its shard was fenced for good and its stock given to the pool; without
/// this it would refuse every buyer (503 <c>unavailable</c>) until restarted. It rejoins empty, as
/// a restart would (<see cref="ShardRejoin"/>), and the allocator gives it stock again.
/// </summary>
/// <remarks>
/// Looks every heartbeat interval (one read of the shard's <c>reclaimed</c> key). It waits until
/// its heartbeat reaches the registry again: rejoining with the last beat still old would only
/// have the instance taken for dead, and reclaimed, once more. An instance cut off from the pool
/// Redis cannot beat, nor take the reclaim's lock, so it stays fenced until the link is back. A
/// reclaim that could not reach the shard (its Redis away then) leaves no flag on it, so this does
/// not see it: the next start does (<see cref="ShardRejoin"/>, README's durability table).
/// </remarks>
public sealed partial class RejoinWatch(
    ShardRejoin rejoin, IShardRouter shards, InstanceHeartbeat heartbeat, TimeProvider time, ILogger<RejoinWatch> log) : BackgroundService
{
    // A rejoin that failed part way (a store away at one of its steps): run again whole, even once
    // the shard's flag is gone, since its fence may still stand.
    private bool _unfinished;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(InstanceHeartbeat.Interval, time);
        while (await timer.NextTickAsync(stoppingToken))
        {
            try
            {
                var reclaimed = await shards.Local.IsReclaimedAsync();
                if ((reclaimed || _unfinished) && time.GetUtcNow() - heartbeat.LastBeatWritten < heartbeat.DeadAfter / 2)
                {
                    if (!_unfinished)
                    {
                        LogReclaimedWhileRunning(shards.Local.Id);
                    }
                    _unfinished = true;
                    await rejoin.RecoverAsync(stoppingToken);
                    _unfinished = false;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The pool Redis, the shard or the database away, or a reclaim holding the lock past
                // the wait (an OperationCanceledException of its own): the next tick tries again.
                LogRejoinFailed(e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Shard {ShardId} was reclaimed while this instance ran (it was silent for longer than Cluster:DeadAfter): rejoining")]
    private partial void LogReclaimedWhileRunning(int shardId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejoining the reclaimed shard failed; the next tick tries again")]
    private partial void LogRejoinFailed(Exception e);
}
