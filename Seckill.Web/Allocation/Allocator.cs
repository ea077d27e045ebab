using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using Seckill.Web.Orders;
using Seckill.Web.Stock;

namespace Seckill.Web.Allocation;

/// <summary>
/// Moves stock between the pool and this instance's shard: the warm-up share when a sale is
/// published, and refills when the shard runs short. (Moving stock between several instances'
/// shards is the cluster allocator's job; this is the single-instance part of it.)
/// </summary>
/// <remarks>Thread-safe: each move is a take from the pool then an add to the shard, each atomic.</remarks>
public sealed class Allocator(
    IStockPool pool, IStockShard shard, SoldOutBoard soldOut, IdGenerator ids, IOptions<AllocationOptions> options, IOptions<InstanceOptions> instance)
{
    private readonly AllocationOptions _options = options.Value;
    private readonly int _instanceId = instance.Value.InstanceId;

    // Per sale: moves under way, counted from before their take from the pool until after their
    // add to the shard.
    private readonly ConcurrentDictionary<long, StrongBox<long>> _moving = new();

    public ValueTask<long> WarmUpAsync(long saleId, long poolUnits) =>
        MoveToShardAsync(saleId, (long)Math.Floor(poolUnits * (1 - _options.ReserveRatio)));

    /// <summary>Refills the shard with at least <paramref name="needed"/> units if the pool has them; returns units moved.</summary>
    public ValueTask<long> RefillAsync(long saleId, int needed, int saleStock) =>
        MoveToShardAsync(saleId, Math.Max(needed, (long)Math.Ceiling(saleStock * _options.RefillRatio)));

    /// <summary>
    /// Units taken from the pool that no shard holds yet: the "in transit" term of the conservation
    /// law. A transfer this shard already applied but the pool has not yet completed is on the shard.
    /// </summary>
    public async ValueTask<long> InTransitAsync(long saleId)
    {
        long units = 0;
        foreach (var transfer in await pool.ListInTransitAsync(saleId))
        {
            if (transfer.InstanceId != _instanceId || !await shard.HasReceivedAsync(saleId, transfer.TransferId))
            {
                units += transfer.Units;
            }
        }
        return units;
    }

    /// <summary>
    /// Finishes the moves to this shard that a crash interrupted: each is applied here at most once
    /// (by its transfer id) and then completed in the pool. Returns the units that landed now.
    /// </summary>
    public async ValueTask<long> ResumeTransfersAsync(long saleId)
    {
        long landed = 0;
        foreach (var transfer in await pool.ListInTransitAsync(saleId))
        {
            if (transfer.InstanceId != _instanceId)
            {
                continue;
            }
            if (!await shard.HasReceivedAsync(saleId, transfer.TransferId))
            {
                await shard.AddAsync(saleId, transfer.Units, transfer.TransferId);
                landed += transfer.Units;
            }
            await pool.CompleteTransferAsync(saleId, transfer.TransferId);
        }
        return landed;
    }

    /// <summary>
    /// Whether units of the sale may be about to land on the shard: a buyer who finds pool and
    /// shard empty while this is true must look again rather than be told "sold out".
    /// </summary>
    public bool IsMoving(long saleId) => Read(_moving, saleId) > 0;

    private static long Read(ConcurrentDictionary<long, StrongBox<long>> counters, long saleId) =>
        counters.TryGetValue(saleId, out var counter) ? Volatile.Read(ref counter.Value) : 0;

    private static StrongBox<long> Counter(ConcurrentDictionary<long, StrongBox<long>> counters, long saleId) =>
        counters.GetOrAdd(saleId, static _ => new StrongBox<long>());

    private async ValueTask<long> MoveToShardAsync(long saleId, long units)
    {
        if (units <= 0)
        {
            return 0;
        }
        var transferId = ids.Next();
        var moving = Counter(_moving, saleId);
        Interlocked.Increment(ref moving.Value);
        try
        {
            // The pool records the units as in transit to this shard in the same step that takes
            // them, and the shard applies the transfer id at most once: a crash anywhere here
            // leaves a record that ResumeTransfersAsync finishes at the next start.
            var taken = await pool.TakeAsync(saleId, units, transferId, _instanceId);
            if (taken > 0)
            {
                await shard.AddAsync(saleId, taken, transferId);
                await pool.CompleteTransferAsync(saleId, transferId);
                // A buyer who looked while these units were in transit may have flagged the
                // sale sold out: they are here now.
                soldOut.StockReturned(saleId);
            }
            return taken;
        }
        finally
        {
            Interlocked.Decrement(ref moving.Value);
        }
    }
}
