using System.Numerics;

namespace Seckill.Load.Measure;

/// <summary>
/// A log-linear histogram of non-negative values (the tool records microseconds). Values below
/// 2^P are counted exactly; above, every power of two [2^e, 2^(e+1)) is split into 2^P equal
/// buckets, so a bucket is at most 2^-P of its values wide and the reported midpoint is within
/// 2^-(P+1) of any value in it (P = 8: 0.2%). Recording is lock-free and allocation-free, so
/// thousands of concurrent requests can share one histogram.
/// </summary>
public sealed class Histogram
{
    private readonly int _precision;
    private readonly long[] _counts;
    private long _count;
    private long _sum;
    private long _max;

    public Histogram(int precisionBits = 8)
    {
        if (precisionBits is < 1 or > 16)
        {
            throw new ArgumentOutOfRangeException(nameof(precisionBits), "between 1 and 16");
        }
        _precision = precisionBits;
        // Exact region 2^P values, then (63 - P) powers of two of 2^P buckets each.
        _counts = new long[(1 << precisionBits) * (64 - precisionBits)];
    }

    public long Count => Interlocked.Read(ref _count);

    public long Max => Interlocked.Read(ref _max);

    public double Mean => Count == 0 ? 0 : (double)Interlocked.Read(ref _sum) / Count;

    public void Record(long value)
    {
        value = Math.Max(0, value);
        Interlocked.Increment(ref _counts[IndexOf(value)]);
        Interlocked.Increment(ref _count);
        Interlocked.Add(ref _sum, value);
        AtomicMax.Raise(ref _max, value);
    }

    /// <summary>Adds every count of <paramref name="other"/> (same precision) to this histogram.</summary>
    public void Add(Histogram other)
    {
        if (other._precision != _precision)
        {
            throw new ArgumentException("Histograms of different precision cannot be added.", nameof(other));
        }
        for (var i = 0; i < _counts.Length; i++)
        {
            var c = Interlocked.Read(ref other._counts[i]);
            if (c != 0)
            {
                Interlocked.Add(ref _counts[i], c);
            }
        }
        Interlocked.Add(ref _count, other.Count);
        Interlocked.Add(ref _sum, Interlocked.Read(ref other._sum));
        AtomicMax.Raise(ref _max, other.Max);
    }

    /// <summary>
    /// The nearest-rank percentile (<paramref name="quantile"/> in 0..1): the value of rank
    /// ⌈q·n⌉ in sorted order, as its bucket's midpoint (never above the largest value seen).
    /// </summary>
    public long ValueAt(double quantile)
    {
        var count = Count;
        if (count == 0)
        {
            return 0;
        }
        var rank = Math.Clamp((long)Math.Ceiling(quantile * count), 1, count);
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += Interlocked.Read(ref _counts[i]);
            if (seen >= rank)
            {
                return Math.Min(MidpointOf(i), Max);
            }
        }
        return Max;
    }

    private int IndexOf(long value)
    {
        var exact = 1L << _precision;
        if (value < exact)
        {
            return (int)value;
        }
        var e = BitOperations.Log2((ulong)value);
        var shift = e - _precision;
        var sub = (int)(value >> shift) - (int)exact; // 0 .. 2^P - 1
        return (int)exact + (shift * (int)exact) + sub;
    }

    private long MidpointOf(int index)
    {
        var exact = 1 << _precision;
        if (index < exact)
        {
            return index;
        }
        var shift = (index - exact) / exact;
        var sub = (index - exact) % exact;
        var low = (long)(exact + sub) << shift;
        var width = 1L << shift;
        return low + (width / 2);
    }
}
