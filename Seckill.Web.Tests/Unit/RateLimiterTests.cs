using Seckill.Web.Gate;

namespace Seckill.Web.Tests.Unit;

/// <summary>
/// The per-address buckets and per-buyer windows on a clock that only moves when told, so every
/// permit can be counted exactly.
/// </summary>
public sealed class RateLimiterTests
{
    private sealed class ManualClock : TimeProvider
    {
        private long _ticks = new DateTimeOffset(2026, 11, 22, 12, 0, 3, TimeSpan.Zero).UtcTicks;
        private Action? _stall;

        public override DateTimeOffset GetUtcNow()
        {
            var read = new DateTimeOffset(Interlocked.Read(ref _ticks), TimeSpan.Zero);
            // A thread that read the clock and then lost the CPU: the world moves on while it
            // waits, and it comes back holding the time it read.
            Interlocked.Exchange(ref _stall, null)?.Invoke();
            return read;
        }

        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);

        /// <summary>The next reader of the clock stalls right after reading it, while <paramref name="meanwhile"/> runs.</summary>
        public void StallNextReader(Action meanwhile) => _stall = meanwhile;
    }

    private static AddressBuckets Buckets(ManualClock clock, int perSecond = 5, int burst = 10) =>
        new(new RateLimitOptions.AddressLimit { PermitsPerSecond = perSecond, Burst = burst }, clock);

    private static BuyerWindows Windows(ManualClock clock, int perMinute = 10) =>
        new(new RateLimitOptions.BuyerLimit { PermitsPerMinute = perMinute }, clock);

    private static int Take(Func<bool> acquire, int attempts)
    {
        var granted = 0;
        for (var i = 0; i < attempts; i++)
        {
            granted += acquire() ? 1 : 0;
        }
        return granted;
    }

    [Fact]
    public void AnAddressGetsItsBurstThenOnePermitPerRefillInterval()
    {
        var clock = new ManualClock();
        var buckets = Buckets(clock);

        Assert.Equal(10, Take(() => buckets.TryAcquire(1, out _), 100));
        Assert.False(buckets.TryAcquire(1, out var wait));
        Assert.Equal(TimeSpan.FromMilliseconds(200), wait);

        clock.Advance(TimeSpan.FromMilliseconds(199));
        Assert.False(buckets.TryAcquire(1, out _));
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, Take(() => buckets.TryAcquire(1, out _), 100));

        // Another address has its own bucket.
        Assert.Equal(10, Take(() => buckets.TryAcquire(2, out _), 100));

        // A long pause refills the bucket to its burst, not beyond.
        clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(10, Take(() => buckets.TryAcquire(1, out _), 100));
    }

    [Fact]
    public void AThreadThatStallsAfterReadingTheClockIsNotRefusedWhatTheRateAllows()
    {
        // Burst 10 at 5/s: a bucket may run at most 1.8 s ahead of now. The thread stalls for
        // 2 s, longer than that, while another request of the same address takes one permit.
        var clock = new ManualClock();
        var buckets = Buckets(clock);
        clock.StallNextReader(() =>
        {
            clock.Advance(TimeSpan.FromSeconds(2));
            Assert.True(buckets.TryAcquire(1, out _));
        });

        // After the stall 9 permits are left: judged by the stale time it read, the bucket
        // would look 2.2 s ahead and the request would be refused.
        Assert.True(buckets.TryAcquire(1, out _));
        Assert.Equal(8, Take(() => buckets.TryAcquire(1, out _), 100));
    }

    [Fact]
    public void AClockSteppedBackNeitherRefusesNorMintsPermits()
    {
        var clock = new ManualClock();
        var buckets = Buckets(clock);
        var windows = Windows(clock);
        Assert.Equal(6, Take(() => buckets.TryAcquire(1, out _), 6));
        Assert.Equal(6, Take(() => windows.TryAcquire(7, out _), 6));

        // An hour back (an NTP step): what was left is still there, and no more.
        clock.Advance(TimeSpan.FromHours(-1));
        Assert.Equal(4, Take(() => buckets.TryAcquire(1, out _), 100));
        Assert.Equal(4, Take(() => windows.TryAcquire(7, out _), 100));

        // Time stood still meanwhile: once the clock is back where it was, permits return as
        // they would have from there (one every 200 ms; the window's ten, all counted in the
        // segment where time stood, when it leaves the minute).
        clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromMilliseconds(200));
        Assert.Equal(1, Take(() => buckets.TryAcquire(1, out _), 100));
        clock.Advance(TimeSpan.FromSeconds(56));
        Assert.False(windows.TryAcquire(7, out _));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(10, Take(() => windows.TryAcquire(7, out _), 100));
    }

    [Fact]
    public void ABuyerGetsItsPermitsBackWhenTheirSegmentLeavesTheMinute()
    {
        var clock = new ManualClock(); // 3 s into a 10 s segment
        var windows = Windows(clock);

        Assert.Equal(6, Take(() => windows.TryAcquire(7, out _), 6));
        clock.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(4, Take(() => windows.TryAcquire(7, out _), 100));
        Assert.False(windows.TryAcquire(7, out var wait));
        // The first six leave with their segment, 57 s after they were taken.
        Assert.Equal(TimeSpan.FromSeconds(37), wait);

        clock.Advance(TimeSpan.FromSeconds(36));
        Assert.False(windows.TryAcquire(7, out _));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(6, Take(() => windows.TryAcquire(7, out _), 100));
        Assert.False(windows.TryAcquire(7, out wait));
        Assert.Equal(TimeSpan.FromSeconds(20), wait); // then the four leave with theirs

        // Another buyer has its own window.
        Assert.Equal(10, Take(() => windows.TryAcquire(8, out _), 100));
    }

    [Fact]
    public void TheSweepForgetsOnlyWhatHasEmptied()
    {
        var clock = new ManualClock();
        var buckets = Buckets(clock);
        var windows = Windows(clock);
        for (var key = 1; key <= 1_000; key++)
        {
            buckets.TryAcquire((ulong)key, out _);
            windows.TryAcquire(key, out _);
        }
        clock.Advance(TimeSpan.FromMilliseconds(100));
        buckets.TryAcquire(1, out _);   // full again only 400 ms after the first permits
        windows.TryAcquire(1, out _);

        Assert.Equal(0, buckets.Sweep());
        Assert.Equal(0, windows.Sweep());
        clock.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal(999, buckets.Sweep());
        Assert.Equal(1, buckets.Count);
        clock.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(1, buckets.Sweep());
        Assert.Equal(1_000, windows.Sweep());
        Assert.Equal(0, windows.Count);

        // Forgotten means full again, not lost: the next request starts a fresh bucket and window.
        Assert.Equal(10, Take(() => buckets.TryAcquire(1, out _), 100));
        Assert.Equal(10, Take(() => windows.TryAcquire(1, out _), 100));
    }

    [Fact]
    public void TheSweepKeepsABuyerWhosePermitsAreStillInTheMinute()
    {
        var clock = new ManualClock(); // 3 s into a 10 s segment
        var windows = Windows(clock);
        Assert.Equal(10, Take(() => windows.TryAcquire(7, out _), 100));

        // 56 s later the ten are still counted (they leave at 57 s): forgetting the buyer now
        // would hand out ten more within the minute.
        clock.Advance(TimeSpan.FromSeconds(56));
        Assert.Equal(0, windows.Sweep());
        Assert.False(windows.TryAcquire(7, out _));

        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(10, Take(() => windows.TryAcquire(7, out _), 100));
    }

    [Fact]
    public async Task ManyNewBuyersAtOnceEachGetTheirPermitsNeverMore()
    {
        // Eight threads meet thousands of buyers seen for the first time, in the same order, so
        // that windows are created while others of the same stripe are taken from.
        var clock = new ManualClock();
        const int Buyers = 20_000, Threads = 8, PerMinute = 5;
        var windows = Windows(clock, perMinute: PerMinute);
        var permits = new int[Buyers];
        using var start = new Barrier(Threads);

        await Task.WhenAll(Enumerable.Range(0, Threads).Select(worker => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait();
            for (var buyer = 0; buyer < Buyers; buyer++)
            {
                if (windows.TryAcquire(buyer, out _))
                {
                    Interlocked.Increment(ref permits[buyer]);
                }
            }
        }, TaskCreationOptions.LongRunning)));

        Assert.All(permits, granted => Assert.Equal(PerMinute, granted));
        Assert.Equal(Buyers, windows.Count);
    }

    [Fact]
    public async Task ConcurrentTakersGetExactlyThePermitsNeverMore()
    {
        var clock = new ManualClock();
        const int Permits = 200_000;
        var buckets = Buckets(clock, perSecond: 1, burst: Permits);
        var windows = Windows(clock, perMinute: Permits);
        var bucketPermits = 0;
        var windowPermits = 0;
        using var start = new Barrier(8);

        // Eight threads take from one address and one buyer until refused: every permit is
        // contended, so an update lost between reading and writing would hand out extra ones.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(worker => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait();
            bool moreBuckets = true, moreWindows = true;
            while (moreBuckets || moreWindows)
            {
                if (moreBuckets && (moreBuckets = buckets.TryAcquire(1, out _)))
                {
                    Interlocked.Increment(ref bucketPermits);
                }
                if (moreWindows && (moreWindows = windows.TryAcquire(1, out _)))
                {
                    Interlocked.Increment(ref windowPermits);
                }
            }
        }, TaskCreationOptions.LongRunning)));

        Assert.Equal(Permits, bucketPermits);
        Assert.Equal(Permits, windowPermits);
    }

    [Fact]
    public void TheSweepRacingTakersNeitherAddsNorLosesPermits()
    {
        var clock = new ManualClock();
        var buckets = Buckets(clock, perSecond: 1, burst: 3);
        var windows = Windows(clock, perMinute: 3);
        const int Rounds = 3_000;
        var bucketPermits = new int[Rounds];
        var windowPermits = new int[Rounds];
        // Every round starts with the one address and buyer idle, so the sweep may take them out
        // while two takers are taking from them.
        using var round = new Barrier(3, _ => clock.Advance(TimeSpan.FromMinutes(2)));

        var takers = Enumerable.Range(0, 2).Select(taker => new Thread(() =>
        {
            for (var r = 0; r < Rounds; r++)
            {
                round.SignalAndWait();
                for (var i = 0; i < 3; i++)
                {
                    if (buckets.TryAcquire(1, out _))
                    {
                        Interlocked.Increment(ref bucketPermits[r]);
                    }
                    if (windows.TryAcquire(1, out _))
                    {
                        Interlocked.Increment(ref windowPermits[r]);
                    }
                }
            }
        })).ToList();
        var sweeper = new Thread(() =>
        {
            for (var r = 0; r < Rounds; r++)
            {
                round.SignalAndWait();
                buckets.Sweep();
                windows.Sweep();
            }
        });
        takers.Add(sweeper);
        takers.ForEach(thread => thread.Start());
        takers.ForEach(thread => thread.Join());

        Assert.All(bucketPermits, permits => Assert.Equal(3, permits));
        Assert.All(windowPermits, permits => Assert.Equal(3, permits));
    }
}
