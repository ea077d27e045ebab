using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Seckill.Web.Gate;

/// <summary>
/// A sliding window per buyer: at most <c>PermitsPerMinute</c> purchase attempts in a minute,
/// counted in six segments of ten seconds. A permit comes back when its segment leaves the
/// window, 50 to 60 seconds after it was used, and a refusal says exactly when that is.
/// </summary>
/// <remarks>
/// <para>The windows are structs in dictionaries split into stripes by buyer, each stripe under its
/// own lock, held for a few instructions. A window holds no reference, so the collector neither
/// follows nor copies anything per buyer. As one object per buyer (plus its counters and its
/// dictionary node), the windows were more than half of the heap after a sale of 200,000 buyers,
/// and every new buyer added three objects to what the young collections promote (BENCHMARKS.md
/// section 32).</para>
/// <para>Buyers whose window is empty again are forgotten by <see cref="Sweep"/>; nothing walks
/// the buyers on the request path.</para>
/// </remarks>
public sealed class BuyerWindows(RateLimitOptions.BuyerLimit limit, TimeProvider time)
{
    public const int Segments = 6;
    private static readonly long SegmentTicks = TimeSpan.FromMinutes(1).Ticks / Segments;

    // Enough stripes that cores rarely meet on one (a lock is held for a few instructions).
    private const int StripeCount = 16;

    // Each stripe starts with room for this many windows: its array of them is then large
    // (over 85,000 bytes) from the start, and the runtime puts large arrays straight into the
    // oldest generation. The windows of a sale's new buyers are then never copied by the young
    // collections as they grow, only their small bucket array is. 16 stripes × 1,600 windows
    // are about 1.5 MB while idle.
    private const int InitialWindowsPerStripe = 1_600;

    private readonly Dictionary<long, Window>[] _stripes =
        Enumerable.Range(0, StripeCount).Select(_ => new Dictionary<long, Window>(InitialWindowsPerStripe)).ToArray();

    [InlineArray(Segments)]
    private struct SegmentCounts
    {
        private int _first;
    }

    private struct Window
    {
        public SegmentCounts Counts;
        public long Newest;   // the segment number (time / SegmentTicks) Counts was last moved to
        public int Total;

        /// <summary>Drops the segments that have left the window by <paramref name="segment"/>.</summary>
        public void MoveTo(long segment)
        {
            if (segment - Newest >= Segments)
            {
                Counts = default;
                Total = 0;
            }
            else
            {
                for (var s = Newest + 1; s <= segment; s++)
                {
                    Total -= Counts[(int)(s % Segments)];
                    Counts[(int)(s % Segments)] = 0;
                }
            }
            Newest = Math.Max(Newest, segment);
        }
    }

    /// <summary>How many buyers have a window (takes every stripe's lock: for tests and logs).</summary>
    public int Count
    {
        get
        {
            var count = 0;
            foreach (var stripe in _stripes)
            {
                lock (stripe)
                {
                    count += stripe.Count;
                }
            }
            return count;
        }
    }

    // Buyer ids are often consecutive: mixed, so that neighbours land on different stripes.
    private Dictionary<long, Window> StripeOf(long buyer) =>
        _stripes[(int)((ulong)(buyer * unchecked((long)0x9E3779B97F4A7C15)) >> 60)];

    /// <summary>Takes a permit for <paramref name="buyer"/>, or says how long until one comes back.</summary>
    public bool TryAcquire(long buyer, out TimeSpan retryAfter)
    {
        var now = time.GetUtcNow().UtcTicks;
        var segment = now / SegmentTicks;
        var stripe = StripeOf(buyer);
        lock (stripe)
        {
            // A new buyer's window starts at segment 0, which MoveTo clears.
            ref var window = ref CollectionsMarshal.GetValueRefOrAddDefault(stripe, buyer, out _);
            window.MoveTo(segment);
            // Not `segment`: a clock stepped back must not count into a slot of another segment.
            var current = window.Newest;
            if (window.Total < limit.PermitsPerMinute)
            {
                window.Counts[(int)(current % Segments)]++;
                window.Total++;
                retryAfter = TimeSpan.Zero;
                return true;
            }
            // The oldest segment still counted leaves the window first.
            var oldest = current - Segments + 1;
            while (window.Counts[(int)(oldest % Segments)] == 0)
            {
                oldest++;
            }
            retryAfter = TimeSpan.FromTicks((oldest + Segments) * SegmentTicks - now);
            return false;
        }
    }

    /// <summary>Forgets the buyers with nothing left in their window.</summary>
    public int Sweep()
    {
        var segment = time.GetUtcNow().UtcTicks / SegmentTicks;
        var removed = 0;
        foreach (var stripe in _stripes)
        {
            lock (stripe)
            {
                var before = stripe.Count;
                foreach (var (buyer, window) in stripe)
                {
                    if (segment - window.Newest >= Segments)
                    {
                        stripe.Remove(buyer);
                    }
                }
                removed += before - stripe.Count;
                // A sale's buyers are forgotten together a minute after it: give their memory back.
                if (stripe.Count == 0 && before > 0)
                {
                    stripe.TrimExcess(InitialWindowsPerStripe);
                }
            }
        }
        return removed;
    }
}
