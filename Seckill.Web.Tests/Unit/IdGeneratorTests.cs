using Microsoft.Extensions.Options;
using Seckill.Web.Cluster;
using Seckill.Web.Orders;

namespace Seckill.Web.Tests.Unit;

public class IdGeneratorTests
{
    private static IdGenerator Generator(int instance, TimeProvider? time = null) =>
        new(Options.Create(new InstanceOptions { InstanceId = instance }), time ?? TimeProvider.System);

    [Fact]
    public void IdsFromManyThreadsAreUniqueAndPositive()
    {
        var ids = Generator(7);
        var seen = new System.Collections.Concurrent.ConcurrentBag<long>();
        Parallel.For(0, 8, _ =>
        {
            for (var i = 0; i < 50_000; i++)
            {
                seen.Add(ids.Next());
            }
        });
        Assert.Equal(400_000, seen.Distinct().Count());
        Assert.All(seen, id => Assert.True(id > 0));
    }

    [Fact]
    public void IdsOfOneGeneratorStrictlyIncreaseEvenWhenTheClockStepsBack()
    {
        var clock = new SteppingClock();
        var ids = Generator(3, clock);
        var previous = 0L;
        for (var i = 0; i < 20_000; i++)
        {
            if (i == 10_000)
            {
                clock.Now -= TimeSpan.FromSeconds(5);
            }
            var id = ids.Next();
            Assert.True(id > previous);
            previous = id;
        }
    }

    [Fact]
    public void TwoInstancesNeverMakeTheSameIdAtTheSameInstant()
    {
        var clock = new SteppingClock();
        var a = Enumerable.Range(0, 5000).Select(_ => Generator(1, clock)).Select(g => g.Next()).ToHashSet();
        var b = Enumerable.Range(0, 5000).Select(_ => Generator(2, clock)).Select(g => g.Next()).ToHashSet();
        Assert.Empty(a.Intersect(b));
    }

    [Fact]
    public void AfterARestartWithTheClockBehindIdsStillDoNotRepeat()
    {
        var clock = new SteppingClock();
        var before = Enumerable.Range(0, 3000).Select(_ => 0L).ToArray();
        var first = Generator(3, clock);
        for (var i = 0; i < before.Length; i++)
        {
            before[i] = first.Next();
        }
        // The process restarts and its clock is a minute behind; the highest stored id is known.
        clock.Now -= TimeSpan.FromMinutes(1);
        var second = Generator(3, clock);
        second.AdvancePast(before.Max());
        var after = Enumerable.Range(0, 3000).Select(_ => second.Next()).ToList();
        Assert.Empty(after.Intersect(before));
        Assert.True(after.Min() > before.Max());
    }

    [Fact]
    public void AnIdCarriesItsInstanceAndTime()
    {
        var clock = new SteppingClock();
        var id = Generator(1023, clock).Next();
        Assert.Equal(1023, IdGenerator.InstanceOf(id));
        Assert.Equal(clock.Now.ToUnixTimeMilliseconds(), IdGenerator.TimeOf(id).ToUnixTimeMilliseconds());
    }

    private sealed class SteppingClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
