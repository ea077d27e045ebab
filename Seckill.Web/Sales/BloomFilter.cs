namespace Seckill.Web.Sales;

/// <summary>
/// A Bloom filter of 64-bit ids: <see cref="MightContain"/> never says no for an added id, and
/// says yes for an absent one with about the configured false-positive rate while no more than
/// <see cref="Capacity"/> ids are in it.
/// </summary>
/// <remarks>
/// Sized the textbook way: m = -n·ln p / (ln 2)² bits and k = (m/n)·ln 2 probes, the probes
/// derived from two hashes (Kirsch–Mitzenmacher: h1 + i·h2). Thread-safe: bits are only ever set,
/// with an atomic OR, so a reader sees an id no later than the <see cref="Add"/> that set its
/// bits returns. Allocation-free after construction.
/// </remarks>
public sealed class BloomFilter
{
    private readonly ulong[] _words;
    private readonly ulong _bitCount;
    private long _count;

    public BloomFilter(int capacity, double falsePositiveRate)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        if (falsePositiveRate is not (> 0 and < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(falsePositiveRate), "The false-positive rate must be between 0 and 1.");
        }
        var bits = Math.Ceiling(-capacity * Math.Log(falsePositiveRate) / (Math.Log(2) * Math.Log(2)));
        _words = new ulong[(long)Math.Ceiling(Math.Max(bits, 64) / 64)];
        _bitCount = (ulong)_words.Length * 64;
        Probes = Math.Max(1, (int)Math.Round(_bitCount / (double)capacity * Math.Log(2)));
        Capacity = capacity;
    }

    public int Capacity { get; }

    public int Probes { get; }

    public long SizeInBytes => _words.LongLength * sizeof(ulong);

    /// <summary>
    /// Distinct ids added so far (an id whose bits were all set already is not counted, so this
    /// can fall slightly short); past <see cref="Capacity"/> the false-positive rate climbs.
    /// </summary>
    public long Count => Interlocked.Read(ref _count);

    public void Add(long id)
    {
        var (h1, h2) = Hash(id);
        var changed = false;
        for (var i = 0; i < Probes; i++)
        {
            var bit = (h1 + (ulong)i * h2) % _bitCount;
            var mask = 1UL << (int)(bit & 63);
            changed |= (Interlocked.Or(ref _words[bit >> 6], mask) & mask) == 0;
        }
        // Adding an id again (sales are re-known on every refresh) sets no new bit: not counted.
        if (changed)
        {
            Interlocked.Increment(ref _count);
        }
    }

    public bool MightContain(long id)
    {
        var (h1, h2) = Hash(id);
        for (var i = 0; i < Probes; i++)
        {
            var bit = (h1 + (ulong)i * h2) % _bitCount;
            if ((Volatile.Read(ref _words[bit >> 6]) & (1UL << (int)(bit & 63))) == 0)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// Two independent-enough 64-bit hashes of the id (SplitMix64 finalizers with different seeds).
    /// Sale ids are sequential, so the id itself would cluster; the mixers spread it.
    /// </summary>
    private static (ulong, ulong) Hash(long id)
    {
        var h1 = Mix((ulong)id + 0x9E3779B97F4A7C15UL);
        var h2 = Mix((ulong)id ^ 0xD6E8FEB86659FD93UL) | 1; // never 0, so the probes never all land on one bit
        return (h1, h2);
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
