using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Seckill.Web.Ops;
using Seckill.Web.Tests.Infrastructure;

namespace Seckill.Web.Tests.Unit;

/// <summary>
/// The Prometheus exporter (<see cref="PrometheusExporter"/>) without a server: what it takes,
/// how it adds up, how it names. Each test has its own meter factory, as each host has.
/// </summary>
public sealed class MetricsExporterTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly PrometheusExporter _exporter;
    private readonly Meter _meter;

    public MetricsExporterTests()
    {
        var meters = _services.GetRequiredService<IMeterFactory>();
        _exporter = new PrometheusExporter(meters, NullLogger<PrometheusExporter>.Instance);
        _meter = meters.Create("Seckill.Test");
    }

    private PrometheusScrape Scrape() => PrometheusScrape.Parse(_exporter.Collect());

    [Fact]
    public void AHistogramIsExportedWithCumulativeBucketsItsSumAndItsCount()
    {
        var histogram = _meter.CreateHistogram<double>("test.wait", "s", advice: new() { HistogramBucketBoundaries = [1, 2] });
        histogram.Record(0.5);
        histogram.Record(1.5);
        histogram.Record(2); // on a bound: in its bucket (le = less or equal)
        histogram.Record(7);

        var scrape = Scrape();

        Assert.Equal("histogram", scrape.Types["test_wait_seconds"]);
        var buckets = scrape.Named("test_wait_seconds_bucket").ToDictionary(sample => sample.Labels["le"], sample => sample.Value);
        Assert.Equal(new Dictionary<string, double> { ["1"] = 1, ["2"] = 3, ["+Inf"] = 4 }, buckets);
        Assert.Equal(11, scrape.Named("test_wait_seconds_sum").Single().Value);
        Assert.Equal(4, scrape.Named("test_wait_seconds_count").Single().Value);
    }

    [Fact]
    public void ACounterAddsUpPerLabelSetWhateverTheOrderOfItsTags()
    {
        var counter = _meter.CreateCounter<long>("test.requests", "{request}");
        counter.Add(2, new("route", "/a"), new("code", 200));
        counter.Add(3, new("code", 200), new("route", "/a"));
        counter.Add(1, new("route", "/b"), new("code", 200));

        var scrape = Scrape();

        Assert.Equal("counter", scrape.Types["test_requests_total"]);
        Assert.Equal(5, scrape.Named("test_requests_total").Single(sample => sample.Has("route", "/a") && sample.Has("code", "200")).Value);
        Assert.Equal(1, scrape.Named("test_requests_total").Single(sample => sample.Has("route", "/b")).Value);
    }

    [Fact]
    public void AnObservableGaugeShowsWhatItReportsAtThisScrapeOnly()
    {
        var sales = new List<string> { "1", "2" };
        _meter.CreateObservableGauge("test.stock", () => sales.Select(sale => new Measurement<long>(10, new KeyValuePair<string, object?>("sale", sale))));

        Assert.Equal(["1", "2"], Scrape().Named("test_stock").Select(sample => sample.Labels["sale"]).Order());
        sales.Remove("1"); // the sale ended
        Assert.Equal(["2"], Scrape().Named("test_stock").Select(sample => sample.Labels["sale"]));
    }

    [Fact]
    public void AnotherHostsMetersAreNotExported()
    {
        using var otherHost = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var theirs = otherHost.GetRequiredService<IMeterFactory>().Create("Seckill.Test").CreateCounter<long>("test.theirs");
        var ours = _meter.CreateCounter<long>("test.ours");
        theirs.Add(1);
        ours.Add(1);
        using var unscoped = new Meter("Seckill.Test");
        unscoped.CreateCounter<long>("test.unscoped").Add(1);

        var names = Scrape().Names;

        Assert.Contains("test_ours_total", names);
        Assert.DoesNotContain("test_theirs_total", names);
        Assert.DoesNotContain("test_unscoped_total", names);
    }

    [Fact]
    public void LabelValuesAreEscapedAndNamesSanitized()
    {
        _meter.CreateCounter<long>("test.odd-name", "By").Add(1, new KeyValuePair<string, object?>("path.part", "a\"b\\c\nd"));

        var sample = Scrape().Named("test_odd_name_bytes_total").Single();

        Assert.Equal("a\"b\\c\nd", sample.Labels["path_part"]);
    }

    [Theory]
    [InlineData("http.server.request.duration", "s", StreamKind.Histogram, "http_server_request_duration_seconds")]
    [InlineData("seckill.purchase.requests", "{request}", StreamKind.Counter, "seckill_purchase_requests_total")]
    [InlineData("dotnet.gc.heap.total_allocated", "By", StreamKind.Counter, "dotnet_gc_heap_total_allocated_bytes_total")]
    [InlineData("seckill.orders.queue.depth", "{reservation}", StreamKind.Gauge, "seckill_orders_queue_depth")]
    [InlineData("test.wait", "ms", StreamKind.Gauge, "test_wait_milliseconds")]
    public void NamesFollowOpenTelemetrysPrometheusConventions(string name, string unit, StreamKind kind, string expected)
    {
        Instrument instrument = kind switch
        {
            StreamKind.Histogram => _meter.CreateHistogram<double>(name, unit),
            StreamKind.Counter => _meter.CreateCounter<long>(name, unit),
            _ => _meter.CreateUpDownCounter<long>(name, unit),
        };
        Assert.Equal(expected, MetricStream.PrometheusName(instrument, kind));
    }

    public void Dispose()
    {
        _exporter.Dispose();
        _services.Dispose();
    }
}
