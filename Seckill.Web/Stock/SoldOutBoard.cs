using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace Seckill.Web.Stock;

/// <summary>
/// Which sales are sold out, known in process so that the refused 99% cost no I/O.
/// </summary>
/// <remarks>
/// Thread-safe and lock-free. Each sale has one word: an epoch (bumped whenever stock comes
/// back) and the sold-out bit. A request reads the word before it tries to reserve, and may
/// only set the bit if the word is unchanged; so a request that saw "no stock" just before a
/// cancellation returned some cannot hide that stock behind a stale sold-out flag.
/// </remarks>
public sealed class SoldOutBoard
{
    private const long SoldOutBit = 1;
    private readonly ConcurrentDictionary<long, StrongBox<long>> _state = new();

    private StrongBox<long> Word(long saleId) => _state.GetOrAdd(saleId, static _ => new StrongBox<long>());

    /// <summary>Whether the sale is sold out; <paramref name="observed"/> is the word to pass to <see cref="TryMarkSoldOut"/>.</summary>
    public bool IsSoldOut(long saleId, out long observed)
    {
        observed = _state.TryGetValue(saleId, out var word) ? Volatile.Read(ref word.Value) : 0;
        return (observed & SoldOutBit) != 0;
    }

    public bool IsSoldOut(long saleId) => IsSoldOut(saleId, out _);

    /// <summary>Sets the flag unless stock came back since <paramref name="observed"/> was read.</summary>
    public bool TryMarkSoldOut(long saleId, long observed) =>
        (observed & SoldOutBit) == 0 &&
        Interlocked.CompareExchange(ref Word(saleId).Value, observed | SoldOutBit, observed) == observed;

    /// <summary>Stock came back (cancel, expiry, refused write): clear the flag and bump the epoch.</summary>
    public void StockReturned(long saleId)
    {
        var word = Word(saleId);
        long current;
        do
        {
            current = Volatile.Read(ref word.Value);
        }
        while (Interlocked.CompareExchange(ref word.Value, (current | SoldOutBit) + 1, current) != current);
    }
}
