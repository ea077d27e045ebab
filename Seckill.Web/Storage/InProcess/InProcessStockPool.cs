using System.Collections.Concurrent;
using Seckill.Web.Stock;

namespace Seckill.Web.Storage.InProcess;

/// <summary>
/// A pool and ledger in memory, with the same contract as the database's (<c>Storage/Sql/SqlStockPool</c>):
/// for tests that drive the stock moves themselves. The service keeps its pool in the database.
/// </summary>
/// <remarks>
/// Thread-safe: one lock per sale, held for a few dictionary operations. Orders are not known
/// here, so <see cref="HoldingsAsync"/> counts moves only.
/// </remarks>
public sealed class InProcessStockPool : IStockPool
{
    private sealed class SalePool
    {
        public long Units;
        public readonly Dictionary<long, Transfer> Moves = [];
        public readonly HashSet<long> Landed = [];
    }

    private readonly ConcurrentDictionary<long, SalePool> _sales = new();

    private SalePool Pool(long saleId) => _sales.GetOrAdd(saleId, static _ => new SalePool());

    /// <summary>Puts <paramref name="units"/> into the sale's pool (a sale created, or an order ended).</summary>
    public void Add(long saleId, long units)
    {
        var pool = Pool(saleId);
        lock (pool)
        {
            pool.Units += units;
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
            pool.Moves.Add(transferId, new Transfer(transferId, saleId, null, toShard, taken));
            return new(taken);
        }
    }

    public ValueTask CompleteTransferAsync(long saleId, long transferId)
    {
        var pool = Pool(saleId);
        lock (pool)
        {
            pool.Landed.Add(transferId);
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyList<Transfer>> ListInTransitAsync(long saleId)
    {
        var pool = Pool(saleId);
        lock (pool)
        {
            return new(pool.Moves.Values.Where(move => !pool.Landed.Contains(move.TransferId)).ToList());
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

    public ValueTask<IReadOnlyList<ShardHolding>> HoldingsAsync(int shardId, CancellationToken cancellationToken)
    {
        var holdings = new List<ShardHolding>();
        foreach (var (saleId, pool) in _sales)
        {
            lock (pool)
            {
                var moves = pool.Moves.Values.Where(move => move.ToShard == shardId).Select(move => new ShardMove(move.TransferId, move.Units)).ToList();
                if (moves.Count > 0)
                {
                    holdings.Add(new ShardHolding(saleId, moves.Sum(move => move.Units), moves));
                }
            }
        }
        return new(holdings);
    }
}
