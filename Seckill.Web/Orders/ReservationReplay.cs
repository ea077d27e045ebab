using Microsoft.Extensions.Options;
using Seckill.Web.Cluster;
using Seckill.Web.Http;
using Seckill.Web.Stock;

namespace Seckill.Web.Orders;

/// <summary>
/// Turns the shard's unconfirmed reservations into orders when the normal path will not: at
/// startup, before the first request, every one of them (the previous process died with them
/// queued, ARCHITECTURE §4); afterwards, every <see cref="OrderOptions.ReplayAfter"/>, those that
/// are that old and not queued here (a reservation whose reply was lost to a dropped connection).
/// Writing is idempotent by order id, so replaying one that did commit changes nothing.
/// </summary>
public sealed partial class ReservationReplay(
    IShardRouter shards, OrderWriter writer, IdGenerator ids, TimeProvider time, IOptions<OrderOptions> options,
    ILogger<ReservationReplay> log) : BackgroundService
{
    private readonly OrderOptions _options = options.Value;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var replayed = await ReplayAsync(TimeSpan.Zero);
        if (replayed.Count > 0)
        {
            LogReplayedAtStart(replayed.Count, replayed.Count(write => write.Committed));
        }
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.ReplayAfter, time);
        while (await timer.NextTickAsync(stoppingToken))
        {
            try
            {
                var replayed = await ReplayAsync(_options.ReplayAfter);
                if (replayed.Count > 0)
                {
                    LogReplayedOrphans(replayed.Count);
                }
            }
            catch (StockUnavailableException e)
            {
                LogSweepFailed(e);
            }
        }
    }

    /// <summary>Writes the unconfirmed reservations at least <paramref name="minAge"/> old that are not queued here.</summary>
    public async Task<IReadOnlyList<OrderWrite>> ReplayAsync(TimeSpan minAge)
    {
        var before = (time.GetUtcNow() - minAge).ToUnixTimeMilliseconds();
        var due = (await shards.Local.ListUnconfirmedAsync())
            .Where(r => r.CreatedAtMs <= before && !writer.TryGetPending(r.OrderId, out _))
            .ToList();
        if (due.Count == 0)
        {
            return [];
        }
        // New ids must be above every id already handed out, written or not (the database's
        // highest is taken in by each mode's storage startup).
        ids.AdvancePast(due[^1].OrderId);
        var writes = new List<OrderWrite>(due.Count);
        foreach (var chunk in due.Chunk(_options.BatchSize))
        {
            if (await writer.CommitAsync(chunk) is not { } written)
            {
                break; // the host gave up waiting at shutdown; the next start replays the rest
            }
            writes.AddRange(written);
        }
        return writes;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replayed {Count} unconfirmed reservations left by the previous process; {Committed} became orders")]
    private partial void LogReplayedAtStart(int count, int committed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replayed {Count} reservations whose writes had not come through")]
    private partial void LogReplayedOrphans(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Looking for unconfirmed reservations failed; the next tick retries")]
    private partial void LogSweepFailed(Exception e);
}
