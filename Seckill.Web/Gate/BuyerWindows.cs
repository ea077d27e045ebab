using System.Collections.Concurrent;

namespace Seckill.Web.Gate;

/// <summary>
/// A sliding window per buyer: at most <c>PermitsPerMinute</c> purchase attempts in a minute,
/// counted in six segments of ten seconds. A permit comes back when its segment leaves the
/// window, 50 to 60 seconds after it was used, and a refusal says exactly when that is.
/// </summary>
/// <remarks>
/// One small object per buyer, locked only by that buyer's own requests. Buyers whose window is
/// empty again are forgotten by <see cref="Sweep"/>; nothing walks the buyers on the request path.
/// </remarks>
public sealed class BuyerWindows(RateLimitOptions.BuyerLimit limit, TimeProvider time)
{
    public const int Segments = 6;
    private static readonly long SegmentTicks = TimeSpan.FromMinutes(1).Ticks / Segments;

    private readonly ConcurrentDictionary<long, Window> _windows = new();

    private sealed class Window
    {
        public readonly int[] Counts = new int[Segments];
        public long Newest;   // the segment number (time / SegmentTicks) Counts was last moved to
        public int Total;
        public bool Retired;  // taken out by the sweep; whoever still holds it looks it up again

        /// <summary>Drops the segments that have left the window by <paramref name="segment"/>.</summary>
        public void MoveTo(long segment)
        {
            if (segment - Newest >= Segments)
            {
                Array.Clear(Counts);
                Total = 0;
            }
            else
            {
                for (var s = Newest + 1; s <= segment; s++)
                {
                    Total -= Counts[s % Segments];
                    Counts[s % Segments] = 0;
                }
            }
            Newest = Math.Max(Newest, segment);
        }
    }

    public int Count => _windows.Count;

    /// <summary>Takes a permit for <paramref name="buyer"/>, or says how long until one comes back.</summary>
    public bool TryAcquire(long buyer, out TimeSpan retryAfter)
    {
        var now = time.GetUtcNow().UtcTicks;
        var segment = now / SegmentTicks;
        while (true)
        {
            var window = _windows.GetOrAdd(buyer, static _ => new Window());
            lock (window)
            {
                if (window.Retired)
                {
                    _windows.TryRemove(KeyValuePair.Create(buyer, window));
                    continue;
                }
                window.MoveTo(segment);
                // Not `segment`: a clock stepped back must not count into a slot of another segment.
                var current = window.Newest;
                if (window.Total < limit.PermitsPerMinute)
                {
                    window.Counts[current % Segments]++;
                    window.Total++;
                    retryAfter = TimeSpan.Zero;
                    return true;
                }
                // The oldest segment still counted leaves the window first.
                var oldest = current - Segments + 1;
                while (window.Counts[oldest % Segments] == 0)
                {
                    oldest++;
                }
                retryAfter = TimeSpan.FromTicks((oldest + Segments) * SegmentTicks - now);
                return false;
            }
        }
    }

    /// <summary>Forgets the buyers with nothing left in their window.</summary>
    public int Sweep()
    {
        var segment = time.GetUtcNow().UtcTicks / SegmentTicks;
        var removed = 0;
        foreach (var (buyer, window) in _windows)
        {
            lock (window)
            {
                if (window.Retired || segment - window.Newest < Segments)
                {
                    continue;
                }
                window.Retired = true;
            }
            _windows.TryRemove(KeyValuePair.Create(buyer, window));
            removed++;
        }
        return removed;
    }
}
