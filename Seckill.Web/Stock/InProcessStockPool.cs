using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace Seckill.Web.Stock;

/// <summary>The embedded mode's pool: one counter per sale.</summary>
/// <remarks>Thread-safe and lock-free (interlocked counters). See <see cref="InProcessStockShard"/> on transfer ids.</remarks>
public sealed class InProcessStockPool : IStockPool
{
    private readonly ConcurrentDictionary<long, StrongBox<long>> _units = new();
    private readonly ConcurrentDictionary<long, Transfer> _inTransit = new();

    private StrongBox<long> Counter(long saleId) => _units.GetOrAdd(saleId, static _ => new StrongBox<long>());

    // Nothing here outlives the process, so every seed is the first one.
    public ValueTask SeedAsync(long saleId, long units)
    {
        Volatile.Write(ref Counter(saleId).Value, units);
        return ValueTask.CompletedTask;
    }

    public ValueTask<long> TakeAsync(long saleId, long maxUnits, long transferId, int toInstance)
    {
        var taken = Take(saleId, maxUnits);
        if (taken > 0)
        {
            _inTransit[transferId] = new Transfer(transferId, saleId, toInstance, taken);
        }
        return new(taken);
    }

    public ValueTask CompleteTransferAsync(long saleId, long transferId)
    {
        _inTransit.TryRemove(transferId, out _);
        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyList<Transfer>> ListInTransitAsync(long saleId) =>
        new(_inTransit.Values.Where(transfer => transfer.SaleId == saleId).ToList());

    public ValueTask PingAsync() => ValueTask.CompletedTask;

    private long Take(long saleId, long maxUnits)
    {
        var counter = Counter(saleId);
        long current, taken;
        do
        {
            current = Volatile.Read(ref counter.Value);
            taken = Math.Min(current, maxUnits);
            if (taken <= 0)
            {
                return 0;
            }
        }
        while (Interlocked.CompareExchange(ref counter.Value, current - taken, current) != current);
        return taken;
    }

    public ValueTask PutAsync(long saleId, long units, long transferId)
    {
        Interlocked.Add(ref Counter(saleId).Value, units);
        return ValueTask.CompletedTask;
    }

    public ValueTask<long> GetAsync(long saleId) =>
        new(_units.TryGetValue(saleId, out var counter) ? Volatile.Read(ref counter.Value) : 0L);
}
