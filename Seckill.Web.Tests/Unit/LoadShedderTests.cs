using System.Diagnostics;
using Microsoft.Extensions.Options;
using Seckill.Web.Gate;

namespace Seckill.Web.Tests.Unit;

/// <summary>The overload decision (<see cref="LoadShedder"/>): a standing queue sheds, a burst does not.</summary>
public sealed class LoadShedderTests
{
    private static readonly long Ms = Stopwatch.Frequency / 1000;

    private static LoadShedder Shedder() =>
        new(Options.Create(new OverloadOptions { TargetDelayMs = 10, IntervalMs = 100 }));

    /// <summary>Samples every 5 ms from <paramref name="from"/> for <paramref name="lasting"/> ms, each with the given delay.</summary>
    private static long Feed(LoadShedder shedder, long from, int lasting, Func<int, int> delayMs)
    {
        var at = from;
        for (var t = 0; t < lasting; t += 5)
        {
            at = from + t * Ms;
            shedder.Observe(delayMs(t) * Ms, at);
        }
        return at + 5 * Ms;
    }

    [Fact]
    public void ADelayAboveTheTargetThroughAWholeIntervalShedsUntilAnIntervalWithAShortWait()
    {
        var shedder = Shedder();
        var now = Feed(shedder, Stopwatch.GetTimestamp(), 300, _ => 1);
        Assert.False(shedder.Overloaded);

        // Every sample of two intervals waited 30 ms: a standing queue.
        now = Feed(shedder, now, 205, _ => 30);
        Assert.True(shedder.Overloaded);
        Assert.True(shedder.OverloadedIntervals >= 1);

        // It stays so while the queue stands, and ends with the first interval in which some work waited less.
        now = Feed(shedder, now, 100, t => t == 50 ? 2 : 40);
        Assert.False(shedder.Overloaded);
        Feed(shedder, now, 100, _ => 40);
        Assert.True(shedder.Overloaded);
    }

    [Fact]
    public void ABurstOrAPauseShorterThanAnIntervalDoesNotShed()
    {
        var shedder = Shedder();
        // A 90 ms GC pause in the middle of each interval: most samples wait long, one does not.
        var now = Feed(shedder, Stopwatch.GetTimestamp(), 1000, t => t % 100 == 0 ? 1 : 90);
        Assert.False(shedder.Overloaded);
        Assert.Equal(0, shedder.OverloadedIntervals);
    }

    [Fact]
    public void WithNoSamplesNothingIsShed()
    {
        // Overload:Enabled=false starts no probe: the shedder hears nothing and never sheds.
        Assert.False(Shedder().Overloaded);
    }
}
