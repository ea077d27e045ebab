using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Seckill.Web.Cluster;
using Seckill.Web.Stock;

namespace Seckill.Web.Allocation;

/// <summary>
/// Moves stock between the pool and this instance's shard: the warm-up share when a sale is
/// published, and refills when the shard runs short. (Moving stock between several instances'
/// shards is the cluster allocator's job; this is the single-instance part of it.)
/// </summary>
/// <remarks>Thread-safe: each move is a take from the pool then an add to the shard, each atomic.</remarks>
public sealed class Allocator(IStockPool pool, IShardRouter shards, SoldOutBoard soldOut, IdGenerator ids, IOptions<AllocationOptions> options)
{
    private readonly AllocationOptions _options = options.Value;
    private readonly IStockShard _shard = shards.Local;

    /// <summary>
    /// Per sale, moves to this shard go one at a time: a buyer who needs a refill while one is under
    /// way waits for it (never spins), then looks at the shard again instead of taking more.
    /// </summary>
    private sealed class Lane
    {
        public readonly SemaphoreSlim Gate = new(1, 1);
        public long Completed;
    }

    private readonly ConcurrentDictionary<long, Lane> _lanes = new();

    private Lane LaneOf(long saleId) => _lanes.GetOrAdd(saleId, static _ => new Lane());

    public async ValueTask<long> WarmUpAsync(long saleId, long poolUnits)
    {
        var lane = LaneOf(saleId);
        await lane.Gate.WaitAsync();
        try
        {
            return await MoveToShardAsync(lane, saleId, (long)Math.Floor(poolUnits * (1 - _options.ReserveRatio)));
        }
        finally
        {
            lane.Gate.Release();
        }
    }

    /// <summary>How many moves to this shard have completed for the sale: read before reserving, for <see cref="RefillAsync"/>.</summary>
    public long MovesDone(long saleId) => _lanes.TryGetValue(saleId, out var lane) ? Volatile.Read(ref lane.Completed) : 0;

    /// <summary>
    /// A buyer found the shard short. Waits for any move under way; if a move completed since the
    /// buyer read <paramref name="movesSeen"/> (<see cref="MovesDone"/>), only says so; otherwise
    /// moves at least <paramref name="needed"/> units from the pool if it has them.
    /// </summary>
    /// <returns>Whether the shard may now hold more than when the buyer looked.</returns>
    public async ValueTask<bool> RefillAsync(long saleId, int needed, int saleStock, long movesSeen)
    {
        var lane = LaneOf(saleId);
        await lane.Gate.WaitAsync();
        try
        {
            if (Volatile.Read(ref lane.Completed) != movesSeen)
            {
                return true;
            }
            // Sold out and nothing returned since: no need to ask the pool again.
            if (soldOut.IsSoldOut(saleId))
            {
                return false;
            }
            return await MoveToShardAsync(lane, saleId, Math.Max(needed, (long)Math.Ceiling(saleStock * _options.RefillRatio))) > 0;
        }
        finally
        {
            lane.Gate.Release();
        }
    }

    /// <summary>
    /// Units taken from the pool that no shard holds yet: the "in transit" term of the conservation
    /// law. A transfer this shard already applied but the ledger has not yet completed is on the shard.
    /// </summary>
    public async ValueTask<long> InTransitAsync(long saleId)
    {
        long units = 0;
        foreach (var transfer in await pool.ListInTransitAsync(saleId))
        {
            if (transfer.ToShard != _shard.Id || !await _shard.HasReceivedAsync(saleId, transfer.TransferId))
            {
                units += transfer.Units;
            }
        }
        return units;
    }

    /// <summary>
    /// Whether units of the sale may be about to land on the shard: a buyer who finds pool and
    /// shard empty while this is true must look again rather than be told "sold out".
    /// </summary>
    public bool IsMoving(long saleId) => _lanes.TryGetValue(saleId, out var lane) && lane.Gate.CurrentCount == 0;

    /// <summary>One move, with the sale's lane held.</summary>
    private async ValueTask<long> MoveToShardAsync(Lane lane, long saleId, long units)
    {
        if (units <= 0)
        {
            return 0;
        }
        var transferId = ids.Next();
        // The ledger records the units as in transit to this shard in the same transaction that
        // takes them from the pool, and the shard applies the transfer id at most once: a crash
        // anywhere here leaves a record that ShardRecovery counts on the shard at the next start.
        var taken = await pool.TakeAsync(saleId, units, transferId, _shard.Id);
        if (taken > 0)
        {
            await _shard.AddAsync(saleId, taken, transferId);
            Interlocked.Increment(ref lane.Completed);
            await pool.CompleteTransferAsync(saleId, transferId);
            // A buyer who looked while these units were in transit may have flagged the
            // sale sold out: they are here now.
            soldOut.StockReturned(saleId);
        }
        return taken;
    }
}
