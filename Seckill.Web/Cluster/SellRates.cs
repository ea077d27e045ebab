using System.Collections.Concurrent;

namespace Seckill.Web.Cluster;

/// <summary>
/// How fast this instance's shard sells each sale: units reserved, counted on the purchase path
/// (one dictionary read and one interlocked add), turned into a smoothed rate at every heartbeat
/// and announced with it, so that the allocator knows where buyers are.
/// </summary>
/// <remarks>Thread-safe and lock-free on the purchase path.</remarks>
public sealed class SellRates
{
    /// <summary>Weight of the last second against the history: a shift in traffic shows within a few beats.</summary>
    private const double Smoothing = 0.5;

    public sealed class Meter
    {
        internal long Units;
        internal long Counted;
        private long _rateBits;

        /// <summary>Units per second, smoothed over the last few seconds.</summary>
        public double Rate
        {
            get => BitConverter.Int64BitsToDouble(Volatile.Read(ref _rateBits));
            internal set => Volatile.Write(ref _rateBits, BitConverter.DoubleToInt64Bits(value));
        }

        public void Record(int units) => Interlocked.Add(ref Units, units);
    }

    private readonly ConcurrentDictionary<long, Meter> _meters = new();

    /// <summary>The sale's meter (kept by callers on the purchase path, so the lookup happens once).</summary>
    public Meter For(long saleId) => _meters.GetOrAdd(saleId, static _ => new Meter());

    public double RateOf(long saleId) => _meters.TryGetValue(saleId, out var meter) ? meter.Rate : 0;

    /// <summary>At each heartbeat: the units counted since the last one over <paramref name="elapsed"/>, folded into each rate.</summary>
    public IReadOnlyDictionary<long, double> Tick(TimeSpan elapsed)
    {
        var rates = new Dictionary<long, double>();
        var seconds = Math.Max(elapsed.TotalSeconds, 0.001);
        foreach (var (saleId, meter) in _meters)
        {
            var total = Interlocked.Read(ref meter.Units);
            var last = (total - meter.Counted) / seconds;
            meter.Counted = total;
            meter.Rate = Smoothing * last + (1 - Smoothing) * meter.Rate;
            if (meter.Rate < 0.01)
            {
                meter.Rate = 0;
            }
            else
            {
                rates[saleId] = meter.Rate;
            }
        }
        return rates;
    }
}
