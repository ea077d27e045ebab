using System.Collections.Concurrent;
using Seckill.Web.Stock;

namespace Seckill.Web.Storage.InProcess;

/// <summary>
/// A pool and ledger in memory, with the same contract as the database's (<c>Storage/Sql/SqlStockPool</c>):
/// for tests and the allocator's simulation, which drive the stock moves themselves. The service
/// keeps its pool in the database.
/// </summary>
/// <remarks>
/// Thread-safe: one lock per sale, held for a few dictionary operations. Orders are not known
/// here: whoever plays the orders says what each shard's orders took (<see cref="RecordSold"/>).
/// </remarks>
public sealed class InProcessStockPool : IStockPool
{
    private sealed class SalePool
    {
        public long Units;
        public long Version;
        public readonly Dictionary<long, Transfer> Moves = [];
        public readonly HashSet<long> Landed = [];
        public readonly Dictionary<int, long> SoldByShard = [];
    }

    private readonly ConcurrentDictionary<long, SalePool> _sales = new();
    private readonly TimeProvider _time;

    public InProcessStockPool(TimeProvider? time = null) => _time = time ?? TimeProvider.System;

    private SalePool Pool(long saleId) => _sales.GetOrAdd(saleId, static _ => new SalePool());

    private long Now => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Puts <paramref name="units"/> into the sale's pool (a sale created, or an order ended).</summary>
    public void Add(long saleId, long units)
    {
        var pool = Pool(saleId);
        lock (pool)
        {
            pool.Units += units;
        }
    }

    /// <summary>Orders taken on <paramref name="shardId"/> took <paramref name="units"/> (negative: an order ended and its units went to the pool).</summary>
    public void RecordSold(long saleId, int shardId, long units)
    {
        var pool = Pool(saleId);
        lock (pool)
        {
            pool.SoldByShard[shardId] = pool.SoldByShard.GetValueOrDefault(shardId) + units;
        }
    }

    public ValueTask<long> TakeAsync(long saleId, long maxUnits, long transferId, int toShard)
    {
        var pool = Pool(saleId);
        lock (pool)
        {
            if (pool.Moves.TryGetValue(transferId, out var recorded))
            {
                return new(recorded.Units);
            }
            var taken = Math.Min(pool.Units, maxUnits);
            if (taken <= 0)
            {
                return new(0L);
            }
            pool.Units -= taken;
            pool.Moves.Add(transferId, new Transfer(transferId, saleId, null, toShard, taken, true, Now));
            pool.Version++;
            return new(taken);
        }
    }

    public ValueTask CompleteTransferAsync(long saleId, long transferId)
    {
        var pool = Pool(saleId);
        lock (pool)
        {
            if (pool.Moves.TryGetValue(transferId, out var move) && move.Withdrawn && move.ToShard is not null && pool.Landed.Add(transferId))
            {
                pool.Version++;
            }
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask RecordWithdrawalAsync(long saleId, long transferId, int fromShard, int? toShard, long maxUnits)
    {
        var pool = Pool(saleId);
        lock (pool)
        {
            if (pool.Moves.TryAdd(transferId, new Transfer(transferId, saleId, fromShard, toShard, maxUnits, false, Now)))
            {
                pool.Version++;
            }
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask MarkWithdrawnAsync(long saleId, long transferId, long units)
    {
        var pool = Pool(saleId);
        lock (pool)
        {
            if (pool.Moves.TryGetValue(transferId, out var move) && !move.Withdrawn)
            {
                pool.Moves[transferId] = move with { Units = units, Withdrawn = true };
                if (units == 0)
                {
                    pool.Landed.Add(transferId);
                }
                pool.Version++;
            }
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask LandInPoolAsync(long saleId, long transferId)
    {
        var pool = Pool(saleId);
        lock (pool)
        {
            if (pool.Moves.TryGetValue(transferId, out var move) && move.Withdrawn && pool.Landed.Add(transferId))
            {
                pool.Moves[transferId] = move with { ToShard = null };
                pool.Units += move.Units;
                pool.Version++;
            }
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask<long> ReturnHoldingAsync(long saleId, int shardId, long transferId)
    {
        var pool = Pool(saleId);
        lock (pool)
        {
            if (pool.Moves.TryGetValue(transferId, out var recorded))
            {
                return new(recorded.Units);
            }
            var units = HeldBy(pool, shardId);
            foreach (var move in pool.Moves.Values.Where(move => move.ToShard == shardId && move.Withdrawn).ToList())
            {
                pool.Landed.Add(move.TransferId);
            }
            pool.Version++;
            if (units <= 0)
            {
                return new(0L);
            }
            pool.Moves.Add(transferId, new Transfer(transferId, saleId, shardId, null, units, true, Now));
            pool.Landed.Add(transferId);
            pool.Units += units;
            return new(units);
        }
    }

    public ValueTask<long> LedgerVersionAsync(long saleId)
    {
        var pool = Pool(saleId);
        lock (pool)
        {
            return new(pool.Version);
        }
    }

    public ValueTask<IReadOnlyList<Transfer>> ListInTransitAsync(long saleId)
    {
        var pool = Pool(saleId);
        lock (pool)
        {
            return new(pool.Moves.Values.Where(move => !pool.Landed.Contains(move.TransferId)).ToList());
        }
    }

    public ValueTask<IReadOnlyList<ShardMoves>> MovesAsync(long saleId)
    {
        var pool = Pool(saleId);
        lock (pool)
        {
            return new(ShardMoves.Tally(pool.Moves.Values.Where(move => pool.Landed.Contains(move.TransferId))
                .Select(move => (move.FromShard, move.ToShard, move.Units))));
        }
    }

    public ValueTask<long> GetAsync(long saleId)
    {
        var pool = Pool(saleId);
        lock (pool)
        {
            return new(pool.Units);
        }
    }

    public ValueTask<IReadOnlyList<ShardHolding>> HoldingsAsync(int shardId, CancellationToken cancellationToken) =>
        Holdings(shardId, _ => true);

    public ValueTask<IReadOnlyList<ShardHolding>> HoldingsAsync(int shardId, IReadOnlyCollection<long> saleIds, CancellationToken cancellationToken) =>
        Holdings(shardId, saleIds.Contains);

    private ValueTask<IReadOnlyList<ShardHolding>> Holdings(int shardId, Func<long, bool> ofSale)
    {
        var holdings = new List<ShardHolding>();
        foreach (var (saleId, pool) in _sales.Where(sale => ofSale(sale.Key)))
        {
            lock (pool)
            {
                var moves = pool.Moves.Values.Where(move => move.Withdrawn && move.ToShard == shardId).Select(move => new ShardMove(move.TransferId, move.Units)).ToList();
                if (moves.Count > 0 || pool.Moves.Values.Any(move => move.FromShard == shardId))
                {
                    holdings.Add(new ShardHolding(saleId, HeldBy(pool, shardId), moves));
                }
            }
        }
        return new(holdings);
    }

    // Moved in, less moved out, less what its orders took: only moves whose units have left their source count.
    private static long HeldBy(SalePool pool, int shardId) =>
        pool.Moves.Values.Where(move => move.Withdrawn && move.ToShard == shardId).Sum(move => move.Units)
        - pool.Moves.Values.Where(move => move.Withdrawn && move.FromShard == shardId).Sum(move => move.Units)
        - pool.SoldByShard.GetValueOrDefault(shardId);
}
