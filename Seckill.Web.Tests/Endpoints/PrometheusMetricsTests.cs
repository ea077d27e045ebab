using System.Globalization;
using System.Net;
using System.Text.Json;
using Seckill.Web.Tests.Infrastructure;

namespace Seckill.Web.Tests.Endpoints;

/// <summary><c>/metrics</c>: Prometheus' text, for admins only, with the series the Grafana dashboard is built on.</summary>
public sealed class PrometheusMetricsTests
{
    // The stock gauges are sampled this often here (5 s by default), so a test waits little for them.
    private static readonly Dictionary<string, string?> FastSampling = new() { ["Ops:StockSampleInterval"] = "00:00:00.100" };

    [Fact]
    public async Task MetricsRefuseAnonymousCallersAndBuyers()
    {
        using var factory = new SeckillFactory();
        using var anonymous = factory.CreateClient();
        using var buyer = factory.ClientFor(2001);

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await buyer.GetAsync("/metrics")).StatusCode);
    }

    [Fact]
    public async Task AnAdminGetsPrometheusTextThatParses()
    {
        using var factory = new SeckillFactory();
        using var admin = factory.Admin();

        var response = await admin.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        var scrape = PrometheusScrape.Parse(await response.Content.ReadAsStringAsync());
        // Every series belongs to a family with a TYPE line (a histogram's by its _bucket, _sum, _count).
        var untyped = scrape.Samples.Select(sample => sample.Name)
            .Where(name => !scrape.Types.ContainsKey(name) && !scrape.Types.ContainsKey(HistogramFamily(name)))
            .Distinct().ToList();
        Assert.Empty(untyped);
        Assert.True(scrape.Named("dotnet_gc_heap_total_allocated_bytes_total").Single().Value > 0);
        Assert.Equal("counter", scrape.Types["seckill_purchase_requests_total"]);
    }

    [Fact]
    public async Task PurchasesShowInTheOutcomeSeriesAndInTheStockSeriesOfTheirSale()
    {
        using var factory = new SeckillFactory(FastSampling);
        var sale = await factory.CreateSaleAsync(stock: 5);
        var saleId = sale.Id.ToString(CultureInfo.InvariantCulture);
        for (var user = 2101; user <= 2103; user++)
        {
            using var buyer = factory.ClientFor(user);
            Assert.Equal(HttpStatusCode.Created, (await buyer.PurchaseAsync(sale.Id)).StatusCode);
        }
        using (var again = factory.ClientFor(2101))
        {
            Assert.Equal(HttpStatusCode.Conflict, (await again.PurchaseAsync(sale.Id)).StatusCode);
        }
        using var admin = factory.Admin();

        // The stock gauges follow at the next sample, the request durations once each request is done.
        // A sample reads the terms one after another, as the admin stock view does: while the
        // writer commits, a unit can be counted both reserved and sold. Awaited settled, not sampled.
        PrometheusScrape scrape = null!;
        await Eventually.TrueAsync(async () =>
        {
            scrape = PrometheusScrape.Parse(await admin.GetStringAsync("/metrics"));
            return Find(scrape, "seckill_stock", ("sale", saleId), ("term", "sold")) == 3 &&
                   Find(scrape, "seckill_stock", ("sale", saleId), ("term", "reserved")) == 0 &&
                   new[] { "pool", "available", "reserved", "in_transit", "sold" }
                       .Sum(term => Find(scrape, "seckill_stock", ("sale", saleId), ("term", term)) ?? 0) == 5 &&
                   scrape.Named("http_server_request_duration_seconds_count")
                       .Where(sample => sample.Has("http_route", "/api/sales/{id}/purchase") && sample.Has("http_response_status_code", "201"))
                       .Sum(sample => sample.Value) == 3 &&
                   // Recorded once the batch is settled on the shard, after the units count sold.
                   scrape.Named("seckill_orders_batch_size_sum").Sum(sample => sample.Value) == 3;
        }, () => $"the sale's sold units, three 201s and three orders written in the metrics; the sale's series were: {string.Join("; ", SaleSeries(scrape, saleId))}");

        Assert.Equal(3, Value(scrape, "seckill_purchase_requests_total", ("code", "accepted")));
        Assert.Equal(1, Value(scrape, "seckill_purchase_requests_total", ("code", "already_purchased")));
        Assert.Equal(0, Value(scrape, "seckill_purchase_requests_total", ("code", "sold_out")));

        // The sale's terms are the admin stock view's, and they add up to its stock.
        Assert.Equal(5, Value(scrape, "seckill_stock", ("sale", saleId), ("term", "total")));
        var terms = new[] { "pool", "available", "reserved", "in_transit", "sold" }
            .Sum(term => Value(scrape, "seckill_stock", ("sale", saleId), ("term", term)));
        Assert.Equal(5, terms);
        var shards = scrape.Named("seckill_stock_shard").Where(sample => sample.Has("sale", saleId)).ToList();
        Assert.NotEmpty(shards);
        Assert.Equal(3, shards.Where(sample => sample.Has("term", "sold")).Sum(sample => sample.Value));
        Assert.Equal(Value(scrape, "seckill_stock", ("sale", saleId), ("term", "available")),
            shards.Where(sample => sample.Has("term", "available")).Sum(sample => sample.Value));
    }

    [Fact]
    public async Task EveryOrderReadCountsItsWaitForADatabaseSlot()
    {
        using var factory = new SeckillFactory(FastSampling);
        var sale = await factory.CreateSaleAsync(stock: 5);
        using var buyer = factory.ClientFor(2201);
        var orderId = (await (await buyer.PurchaseAsync(sale.Id)).ReadPurchaseAsync()).OrderId;
        // Read from the database from now on (a queued order is answered from memory, no slot taken).
        await Eventually.TrueAsync(async () => (await buyer.GetStringAsync($"/api/orders/{orderId}")).Contains("\"awaiting_payment\"", StringComparison.Ordinal),
            () => "the order written");
        using var admin = factory.Admin();
        var before = PrometheusScrape.Parse(await admin.GetStringAsync("/metrics")).Named("seckill_db_slot_wait_seconds_count").Sum(sample => sample.Value);

        for (var read = 0; read < 3; read++)
        {
            Assert.Equal(HttpStatusCode.OK, (await buyer.GetAsync($"/api/orders/{orderId}")).StatusCode);
        }

        var after = PrometheusScrape.Parse(await admin.GetStringAsync("/metrics")).Named("seckill_db_slot_wait_seconds_count").Sum(sample => sample.Value);
        Assert.Equal(3, after - before);
    }

    [Fact]
    public async Task EverySeriesTheDashboardQueriesIsExported()
    {
        using var dashboard = JsonDocument.Parse(await File.ReadAllTextAsync(DashboardPath()));
        var queried = PrometheusScrape.MetricsQueriedBy(dashboard.RootElement);
        // The reader of the dashboard's PromQL finds the metrics (and not, say, only function names).
        Assert.Contains("seckill_purchase_requests_total", queried);
        Assert.Contains("http_server_request_duration_seconds_bucket", queried);
        Assert.Contains("seckill_stock_shard", queried);
        Assert.DoesNotContain("histogram_quantile", queried);
        Assert.DoesNotContain("instance", queried);
        // Embedded mode has no Redis: its latency series exist in the clustered mode only.
        var expected = TestStore.Mode == StorageMode.Clustered
            ? queried
            : queried.Where(name => !name.StartsWith("seckill_redis_", StringComparison.Ordinal)).ToHashSet();
        Assert.True(expected.Count >= 15, $"only {expected.Count} metrics found in the dashboard: {string.Join(", ", expected)}");

        using var factory = new SeckillFactory(FastSampling);
        var sale = await factory.CreateSaleAsync(stock: 3);
        using var buyer = factory.ClientFor(2201);
        Assert.Equal(HttpStatusCode.Created, (await buyer.PurchaseAsync(sale.Id)).StatusCode);
        using var admin = factory.Admin();

        // Series appear as their events happen: the jobs' first runs, the purchase's durations.
        IReadOnlySet<string> exported = new HashSet<string>();
        await Eventually.TrueAsync(async () =>
        {
            exported = PrometheusScrape.Parse(await admin.GetStringAsync("/metrics")).Names;
            return expected.IsSubsetOf(exported);
        }, () => $"every series the dashboard queries; missing: {string.Join(", ", expected.Except(exported))}");
    }

    /// <summary>The one series of <paramref name="name"/> with these labels; null while there is none.</summary>
    private static double? Find(PrometheusScrape scrape, string name, params (string Label, string Value)[] labels) =>
        scrape.Named(name).Where(sample => labels.All(label => sample.Has(label.Label, label.Value))).Select(sample => (double?)sample.Value).SingleOrDefault();

    private static double Value(PrometheusScrape scrape, string name, params (string Label, string Value)[] labels)
    {
        var matching = scrape.Named(name).Where(sample => labels.All(label => sample.Has(label.Label, label.Value))).ToList();
        Assert.True(matching.Count == 1, $"{name} with {string.Join(",", labels)}: {matching.Count} series");
        return matching[0].Value;
    }

    private static IEnumerable<string> SaleSeries(PrometheusScrape? scrape, string saleId) =>
        scrape?.Samples.Where(sample => sample.Has("sale", saleId))
            .Select(sample => $"{sample.Name}{{{string.Join(",", sample.Labels.Select(label => $"{label.Key}={label.Value}"))}}} {sample.Value}") ?? [];

    private static string HistogramFamily(string name) =>
        name.EndsWith("_bucket", StringComparison.Ordinal) ? name[..^"_bucket".Length]
        : name.EndsWith("_count", StringComparison.Ordinal) ? name[..^"_count".Length]
        : name.EndsWith("_sum", StringComparison.Ordinal) ? name[..^"_sum".Length]
        : name;

    private static string DashboardPath()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Seckill.sln")))
        {
            directory = directory.Parent;
        }
        Assert.NotNull(directory);
        return Path.Combine(directory.FullName, "deploy", "grafana", "seckill-dashboard.json");
    }
}
