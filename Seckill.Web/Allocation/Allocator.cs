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
public sealed class Allocator(IStockPool pool, IStockShard shard, SoldOutBoard soldOut, IdGenerator ids, IOptions<AllocationOptions> options)
{
    private readonly AllocationOptions _options = options.Value;

    // Per sale: units taken from the pool and not yet added to the shard (the "in transit" term
    // of the conservation law), and moves under way, counted from before their take from the
    // pool until after their add to the shard.
    private readonly ConcurrentDictionary<long, StrongBox<long>> _inTransit = new();
    private readonly ConcurrentDictionary<long, StrongBox<long>> _moving = new();

    public ValueTask<long> WarmUpAsync(long saleId, long poolUnits) =>
        MoveToShardAsync(saleId, (long)Math.Floor(poolUnits * (1 - _options.ReserveRatio)));

    /// <summary>Refills the shard with at least <paramref name="needed"/> units if the pool has them; returns units moved.</summary>
    public ValueTask<long> RefillAsync(long saleId, int needed, int saleStock) =>
        MoveToShardAsync(saleId, Math.Max(needed, (long)Math.Ceiling(saleStock * _options.RefillRatio)));

    public long InTransit(long saleId) => Read(_inTransit, saleId);

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
            var taken = await pool.TakeAsync(saleId, units, transferId);
            if (taken > 0)
            {
                var inTransit = Counter(_inTransit, saleId);
                Interlocked.Add(ref inTransit.Value, taken);
                await shard.AddAsync(saleId, taken, transferId);
                Interlocked.Add(ref inTransit.Value, -taken);
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
