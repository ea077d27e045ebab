using Seckill.Load.Measure;

namespace Seckill.Load.Tests;

public class HistogramTests
{
    private static readonly double[] Quantiles = [0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1.0];

    public static TheoryData<string> Distributions => new() { "lognormal", "pareto", "bimodal" };

    /// <summary>Latency-like data: most values small, a long tail several orders of magnitude out.</summary>
    private static long[] Sample(string distribution, int n, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, n).Select(_ => distribution switch
        {
            // median ~1 ms, tail to seconds
            "lognormal" => (long)Math.Exp(Math.Log(1000) + (1.5 * Normal(random))),
            // heavy tail: P(X > x) ~ x^-1.2
            "pareto" => (long)(200 / Math.Pow(1 - random.NextDouble(), 1 / 1.2)),
            // a fast path and a slow path (e.g. refusals and committed orders)
            _ => random.NextDouble() < 0.97 ? 300 + random.Next(200) : 40_000 + random.Next(60_000),
        })];
    }

    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    [Theory]
    [MemberData(nameof(Distributions))]
    public void PercentilesAreWithinOnePercentOfTheExactOnes(string distribution)
    {
        var values = Sample(distribution, 1_000_000, seed: 42);
        var histogram = new Histogram();
        foreach (var v in values)
        {
            histogram.Record(v);
        }
        Array.Sort(values);
        foreach (var q in Quantiles)
        {
            // Nearest rank: the ⌈q·n⌉-th smallest value.
            var exact = values[(int)Math.Ceiling(q * values.Length) - 1];
            var measured = histogram.ValueAt(q);
            Assert.True(Math.Abs(measured - exact) <= 0.01 * exact,
                $"{distribution} p{q * 100}: histogram {measured}, exact {exact} ({(measured - exact) / (double)exact:P3})");
        }
        Assert.Equal(values[^1], histogram.Max);
        Assert.Equal(values.Length, histogram.Count);
        Assert.Equal(values.Average(), histogram.Mean, 6);
    }

    [Fact]
    public void SmallValuesAreExact()
    {
        var histogram = new Histogram();
        for (var v = 0; v < 256; v++)
        {
            histogram.Record(v);
        }
        Assert.Equal(127, histogram.ValueAt(0.5));
        Assert.Equal(0, histogram.ValueAt(0));
        Assert.Equal(255, histogram.ValueAt(1));
    }

    [Fact]
    public void ConcurrentRecordingLosesNothingAndAddingMerges()
    {
        var values = Sample("lognormal", 400_000, seed: 7);
        var shared = new Histogram();
        Parallel.For(0, 8, part =>
        {
            for (var i = part; i < values.Length; i += 8)
            {
                shared.Record(values[i]);
            }
        });
        var first = new Histogram();
        var second = new Histogram();
        for (var i = 0; i < values.Length; i++)
        {
            (i % 2 == 0 ? first : second).Record(values[i]);
        }
        first.Add(second);
        foreach (var q in Quantiles)
        {
            Assert.Equal(shared.ValueAt(q), first.ValueAt(q));
        }
        Assert.Equal(values.Length, shared.Count);
        Assert.Equal(values.Max(), shared.Max);
    }

    [Fact]
    public void AnEmptyHistogramReportsZero()
    {
        var histogram = new Histogram();
        Assert.Equal(0, histogram.ValueAt(0.99));
        Assert.Equal(0, histogram.Mean);
    }
}
