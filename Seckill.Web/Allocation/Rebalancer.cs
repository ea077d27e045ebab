using System.Diagnostics;
using Microsoft.Extensions.Options;
using Seckill.Web.Cluster;
using Seckill.Web.Stock;

namespace Seckill.Web.Allocation;

/// <summary>What one rebalance of a sale did, for the job's record on the dashboard.</summary>
public sealed record RebalanceResult(long SaleId, IReadOnlyList<PlannedMove> Moves, long UnitsMoved, int Resumed, int? EndgameShard, double Milliseconds);

/// <summary>
/// Carries out <see cref="RebalancePlan"/>: at once for this instance's shard when it falls below its
/// low watermark (signalled by <see cref="Allocator.Reserved"/>, served by this loop within a few
/// milliseconds — never left for a cron tick), and for every shard of a sale when the periodic
/// rebalance job asks (<see cref="RebalanceAsync"/>): finishing moves left half done, returning
/// excess above high watermarks, topping up low shards, and starting the end game.
/// </summary>
public sealed partial class Rebalancer(
    Allocator allocator, StockMover mover, IStockPool pool, IShardRouter shards, SoldOutBoard soldOut, ISoldOutBroadcast broadcast,
    IOptions<AllocationOptions> options, TimeProvider time, ILogger<Rebalancer> log) : BackgroundService
{
    private readonly AllocationOptions _options = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var saleId in allocator.LowSignals.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await TopUpAsync(saleId);
                }
                catch (Exception e) when (e is StockUnavailableException or System.Data.Common.DbException)
                {
                    LogTopUpFailed(e, saleId);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>The local shard is low: bring it to its target from the pool, else from the coldest shards.</summary>
    public async Task<long> TopUpAsync(long saleId)
    {
        var lane = allocator.For(saleId);
        var local = shards.Local.Id;
        if (lane.EndgameShard != SaleLane.NoEndgame)
        {
            return 0;
        }
        var views = await allocator.ViewAsync(saleId);
        var moves = RebalancePlan.Periodic(await pool.GetAsync(saleId), views, _options).Where(move => move.To == local && move.From != local).ToList();
        var moved = await RunAsync(saleId, moves);
        if (moved > 0)
        {
            lane.ClearLowSignal();
        }
        return moved;
    }

    /// <summary>
    /// The periodic rebalance of one sale (the <c>rebalance</c> job, every few seconds, on one instance
    /// of the cluster): finish moves left half done, then carry out the plan, then the end game.
    /// </summary>
    public async Task<RebalanceResult> RebalanceAsync(long saleId)
    {
        var started = Stopwatch.GetTimestamp();
        var resumed = 0;
        var staleBefore = (time.GetUtcNow() - _options.ResumeMovesAfter).ToUnixTimeMilliseconds();
        foreach (var transfer in await pool.ListInTransitAsync(saleId))
        {
            if (transfer.CreatedAtMs <= staleBefore)
            {
                try
                {
                    await mover.ResumeAsync(transfer);
                    resumed++;
                }
                catch (StockUnavailableException e)
                {
                    LogResumeFailed(e, saleId, transfer.TransferId);
                }
            }
        }
        var lane = allocator.For(saleId);
        await allocator.EndIfReclaimedAsync(lane);
        var views = await allocator.ViewAsync(saleId);
        var poolUnits = await pool.GetAsync(saleId);
        IReadOnlyList<PlannedMove> moves = [];
        long moved = 0;
        if (lane.EndgameShard == SaleLane.NoEndgame && RebalancePlan.IsEndgame(poolUnits, views, _options))
        {
            await allocator.EnterEndgameAsync(lane, views);
        }
        if (lane.EndgameShard is var endgame and not SaleLane.NoEndgame)
        {
            moved = await allocator.GatherAsync(saleId, endgame, views);
        }
        else
        {
            moves = RebalancePlan.Periodic(poolUnits, views, _options);
            moved = await RunAsync(saleId, moves);
        }
        lane.ClearLowSignal();
        // Units are left somewhere: any instance that flagged the sale sold out on a lost or late
        // word looks again (the "stock back" of a return may have been lost on the channel).
        if (poolUnits + views.Sum(view => view.Available) > 0 || moved > 0)
        {
            soldOut.StockReturned(saleId);
            broadcast.StockBack(saleId);
        }
        var endgameShard = lane.EndgameShard == SaleLane.NoEndgame ? (int?)null : lane.EndgameShard;
        return new RebalanceResult(saleId, moves, moved, resumed, endgameShard, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    private async Task<long> RunAsync(long saleId, IReadOnlyList<PlannedMove> moves)
    {
        long moved = 0;
        foreach (var move in moves)
        {
            try
            {
                moved += move.From is { } from
                    ? await mover.FromShardAsync(saleId, from, move.To, move.Units)
                    : await mover.FromPoolAsync(saleId, move.To!.Value, move.Units);
            }
            catch (StockUnavailableException e)
            {
                // Left recorded where it stopped: the next periodic run finishes it.
                LogMoveFailed(e, saleId, move.From, move.To, move.Reason);
            }
        }
        if (moved > 0)
        {
            LogMoved(saleId, moved, string.Join("; ", moves.Select(move => $"{move.Units} {move.From?.ToString() ?? "pool"}→{move.To?.ToString() ?? "pool"} ({move.Reason})")));
        }
        return moved;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sale {SaleId}: topping up the local shard failed")]
    private partial void LogTopUpFailed(Exception e, long saleId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sale {SaleId}: transfer {TransferId} could not be finished yet")]
    private partial void LogResumeFailed(Exception e, long saleId, long transferId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sale {SaleId}: move {From}→{To} ({Reason}) failed")]
    private partial void LogMoveFailed(Exception e, long saleId, int? from, int? to, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Sale {SaleId}: rebalanced {Units} units: {Moves}")]
    private partial void LogMoved(long saleId, long units, string moves);
}
