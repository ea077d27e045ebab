using System.Collections.Concurrent;

namespace Seckill.Web.Gate;

/// <summary>
/// A token bucket per client address: <c>Burst</c> requests at once, refilled at
/// <c>PermitsPerSecond</c>. Each bucket is one number, the time at which it will be full again
/// (the "theoretical arrival time" of GCRA), moved forward by a compare-exchange: no lock, no
/// allocation once the address is known, nothing to do for idle buckets but forget them.
/// </summary>
/// <remarks>
/// ASP.NET's partitioned limiter was used here before. It takes one global lock per request and
/// walks every partition ten times a second, so with the hundreds of thousands of addresses of a
/// flash sale it cost more than the rest of a refusal; see BENCHMARKS.md.
/// </remarks>
public sealed class AddressBuckets
{
    // A bucket the sweep has taken out; whoever still holds it looks it up again.
    private const long Retired = long.MinValue;

    private readonly ConcurrentDictionary<UInt128, Bucket> _buckets = new();
    private readonly TimeProvider _time;
    private readonly long _interval;    // ticks between two permits
    private readonly long _tolerance;   // how far ahead of now FullAt may run: burst - 1 permits
    private static readonly long ClockStep = TimeSpan.TicksPerMillisecond;
    private long _latest;               // the latest time seen, to within ClockStep (see Now)

    public AddressBuckets(RateLimitOptions.AddressLimit limit, TimeProvider time)
    {
        _time = time;
        _interval = Math.Max(1, TimeSpan.TicksPerSecond / limit.PermitsPerSecond);
        _tolerance = (limit.Burst - 1) * _interval;
    }

    private sealed class Bucket
    {
        public long FullAt;
    }

    public int Count => _buckets.Count;

    /// <summary>Takes a permit for <paramref name="client"/>, or says how long until one is there.</summary>
    public bool TryAcquire(UInt128 client, out TimeSpan retryAfter)
    {
        while (true)
        {
            var bucket = _buckets.GetOrAdd(client, static _ => new Bucket());
            var fullAt = Volatile.Read(ref bucket.FullAt);
            if (fullAt == Retired)
            {
                _buckets.TryRemove(KeyValuePair.Create(client, bucket));
                continue;
            }
            // The clock is read after the bucket, on every turn: a thread that stalled between the
            // two (longer than the burst tolerance, on a loaded machine) would otherwise judge a
            // bucket others have just moved forward by a time from before their moves, and refuse
            // a permit the rate allows.
            var now = Now();
            // The bucket holds (tolerance - (fullAt - now)) / interval + 1 permits.
            var from = Math.Max(fullAt, now);
            if (from - now > _tolerance)
            {
                retryAfter = TimeSpan.FromTicks(from - now - _tolerance);
                return false;
            }
            if (Interlocked.CompareExchange(ref bucket.FullAt, from + _interval, fullAt) == fullAt)
            {
                retryAfter = TimeSpan.Zero;
                return true;
            }
        }
    }

    /// <summary>
    /// The time to judge by. A wall clock stepped back must not make every bucket look over-full:
    /// before the latest time seen, time stands still at that latest time (known to within one
    /// <see cref="ClockStep"/>, and taken at the late end of it, so the step back can neither
    /// refuse a permit nor, beyond that millisecond, mint one).
    /// </summary>
    /// <remarks>
    /// The latest time is shared by every request, so it is written at most once per
    /// <see cref="ClockStep"/> and otherwise only read.
    /// </remarks>
    private long Now()
    {
        var now = _time.GetUtcNow().UtcTicks;
        var latest = Volatile.Read(ref _latest);
        while (now - latest > ClockStep)
        {
            var seen = Interlocked.CompareExchange(ref _latest, now, latest);
            if (seen == latest)
            {
                return now;
            }
            latest = seen;
        }
        return now >= latest ? now : latest + ClockStep;
    }

    /// <summary>Forgets the buckets that are full again: an address that comes back gets a full one anyway.</summary>
    public int Sweep()
    {
        var now = Now();
        var removed = 0;
        foreach (var (client, bucket) in _buckets)
        {
            var fullAt = Volatile.Read(ref bucket.FullAt);
            if (fullAt != Retired && fullAt <= now && Interlocked.CompareExchange(ref bucket.FullAt, Retired, fullAt) == fullAt)
            {
                _buckets.TryRemove(KeyValuePair.Create(client, bucket));
                removed++;
            }
        }
        return removed;
    }
}
