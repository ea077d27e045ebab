using HdrHistogram;

namespace Seckill.Load.Measure;

/// <summary>
/// Latencies of one kind (the tool records microseconds): the distribution in an HdrHistogram,
/// with the count, sum and largest value kept exactly beside it. Recording is thread-safe and
/// allocation-free, so thousands of concurrent requests can share one histogram.
/// </summary>
/// <remarks>
/// Coordinated omission is corrected where the values are made, not here: every latency is timed
/// from the request's intended send time (<see cref="Drive.Sender"/>).
/// </remarks>
public sealed class Histogram
{
    /// <summary>An hour in microseconds: longer waits are counted as an hour.</summary>
    public const long Highest = 3_600_000_000;

    private readonly LongConcurrentHistogram _values;
    private long _count;
    private long _sum;
    private long _max;

    /// <param name="significantDigits">Precision of the percentiles: 3 is within 0.1%, 2 within 1%.</param>
    public Histogram(int significantDigits = 3) => _values = new LongConcurrentHistogram(1, Highest, significantDigits);

    public long Count => Interlocked.Read(ref _count);

    public long Max => Interlocked.Read(ref _max);

    public double Mean => Count == 0 ? 0 : (double)Interlocked.Read(ref _sum) / Count;

    public void Record(long value)
    {
        value = Math.Clamp(value, 0, Highest);
        _values.RecordValue(value);
        Interlocked.Increment(ref _count);
        Interlocked.Add(ref _sum, value);
        AtomicMax.Raise(ref _max, value);
    }

    /// <summary>Adds every value of <paramref name="other"/> to this histogram.</summary>
    public void Add(Histogram other)
    {
        _values.Add(other._values);
        Interlocked.Add(ref _count, other.Count);
        Interlocked.Add(ref _sum, Interlocked.Read(ref other._sum));
        AtomicMax.Raise(ref _max, other.Max);
    }

    /// <summary>
    /// The nearest-rank percentile (<paramref name="quantile"/> in 0..1), to the histogram's
    /// precision, never above the largest value seen.
    /// </summary>
    public long ValueAt(double quantile) => Count == 0 ? 0 : Math.Min(_values.GetValueAtPercentile(quantile * 100), Max);
}
