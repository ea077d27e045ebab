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

    // Units taken from the pool and not yet added to the shard, per sale: the "in transit" term
    // of the conservation law.
    private readonly ConcurrentDictionary<long, StrongBox<long>> _inTransit = new();

    public ValueTask<long> WarmUpAsync(long saleId, long poolUnits) =>
        MoveToShardAsync(saleId, (long)Math.Floor(poolUnits * (1 - _options.ReserveRatio)));

    /// <summary>Refills the shard with at least <paramref name="needed"/> units if the pool has them; returns units moved.</summary>
    public ValueTask<long> RefillAsync(long saleId, int needed, int saleStock) =>
        MoveToShardAsync(saleId, Math.Max(needed, (long)Math.Ceiling(saleStock * _options.RefillRatio)));

    public long InTransit(long saleId) =>
        _inTransit.TryGetValue(saleId, out var units) ? Volatile.Read(ref units.Value) : 0;

    private async ValueTask<long> MoveToShardAsync(long saleId, long units)
    {
        if (units <= 0)
        {
            return 0;
        }
        var transferId = ids.Next();
        var taken = await pool.TakeAsync(saleId, units, transferId);
        if (taken > 0)
        {
            var inTransit = _inTransit.GetOrAdd(saleId, static _ => new StrongBox<long>());
            Interlocked.Add(ref inTransit.Value, taken);
            await shard.AddAsync(saleId, taken, transferId);
            Interlocked.Add(ref inTransit.Value, -taken);
            // A buyer who looked while these units were in transit saw neither pool nor shard
            // holding them and may have flagged the sale sold out: they are here now.
            soldOut.StockReturned(saleId);
        }
        return taken;
    }
}
