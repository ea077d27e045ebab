using Seckill.Web.Gate;
using Seckill.Web.Sales;

namespace Seckill.Web.Tests.Unit;

public class BloomFilterTests
{
    [Theory]
    [InlineData(100_000, 0.001)]
    [InlineData(10_000, 0.01)]
    public void FalsePositiveRateOnAMillionAbsentIdsIsWithinTwiceTheConfiguredRate(int capacity, double rate)
    {
        // Filled to capacity with sequential ids, as sale ids are.
        var filter = new BloomFilter(capacity, rate);
        for (long id = 1; id <= capacity; id++)
        {
            filter.Add(id);
        }

        var random = new Random(20261121);
        const int probes = 1_000_000;
        var falsePositives = 0;
        for (var i = 0; i < probes; i++)
        {
            // Random ids far above every added one: all absent.
            if (filter.MightContain(random.NextInt64(capacity + 1L, long.MaxValue)))
            {
                falsePositives++;
            }
        }

        var measured = falsePositives / (double)probes;
        Assert.InRange(measured, rate / 2, rate * 2);
    }

    [Fact]
    public void EveryAddedIdIsFoundEvenWhenAddedConcurrently()
    {
        var filter = new BloomFilter(200_000, 0.001);
        Parallel.For(0, 200_000, i => filter.Add(i * 7919L + 1));
        for (var i = 0; i < 200_000; i++)
        {
            Assert.True(filter.MightContain(i * 7919L + 1), $"id {i * 7919L + 1} was added but not found");
        }
        // An id whose bits were all set already (a false positive at the time) is not counted.
        Assert.InRange(filter.Count, 199_000, 200_000);
    }

    [Fact]
    public void SizingFollowsTheTextbookFormulas()
    {
        // m = -n ln p / (ln 2)^2 ≈ 14.38 bits per id at 0.1%, k ≈ 10 probes.
        var filter = new BloomFilter(1_000_000, 0.001);
        Assert.InRange(filter.SizeInBytes, 1_797_000, 1_798_000);
        Assert.Equal(10, filter.Probes);
    }

    [Fact]
    public void AddingAnIdAgainDoesNotCountIt()
    {
        var filter = new BloomFilter(1_000, 0.001);
        for (var i = 0; i < 100; i++)
        {
            filter.Add(42);
        }
        Assert.Equal(1, filter.Count);
    }
}
