using System.Net;
using Seckill.Web.Gate;
using Seckill.Web.Ops;
using Seckill.Web.Sales;
using Seckill.Web.Tests.Infrastructure;

namespace Seckill.Web.Tests.Promises;

/// <summary>The gate's promises under load: what it refuses never reaches stock, storage or orders.</summary>
public sealed class GateTests
{
    [Fact]
    public async Task TenThousandAttemptsByBlacklistedUsersMakeNoOrder()
    {
        using var factory = new SeckillFactory();
        var sale = await factory.CreateSaleAsync(stock: 1_000);
        var blacklist = factory.Get<Blacklist>();
        var users = Enumerable.Range(50_000, 500).Select(u => (long)u).ToArray();
        foreach (var user in users)
        {
            await blacklist.AddAsync(user, CancellationToken.None);
        }

        var clients = users.Select(user => factory.ClientFor(user)).ToArray();
        var answers = await Task.WhenAll(Enumerable.Range(0, 10_000).Select(i => clients[i % clients.Length].PurchaseAsync(sale.Id)));

        Assert.All(answers, answer => Assert.Equal(HttpStatusCode.Forbidden, answer.StatusCode));
        Assert.Equal("blacklisted", await answers[^1].ProblemCodeAsync());
        var stock = await factory.SettledStockAsync(sale.Id);
        Assert.Equal(0, stock.Sold);
        Assert.Equal(0, stock.AwaitingPayment + stock.Failed);
        Assert.Equal(10_000, factory.Get<PurchaseMetrics>()[PurchaseResult.Blacklisted]);
        foreach (var client in clients)
        {
            client.Dispose();
        }
    }

    [Fact]
    public async Task OneUserFiringAThousandPurchasesGetsNoMoreThroughThanItsPermits()
    {
        using var factory = new SeckillFactory(new Dictionary<string, string?> { ["RateLimits:PerUser:PermitsPerMinute"] = "10" });
        var sale = await factory.CreateSaleAsync(stock: 100, perUserLimit: 1);
        using var greedy = factory.ClientFor(7);

        var answers = await Task.WhenAll(Enumerable.Range(0, 1_000).Select(_ => greedy.PurchaseAsync(sale.Id)));

        var limited = answers.Where(a => a.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        var through = answers.Length - limited.Count;
        // A sliding window of a minute in six segments: a permit comes back at the earliest 50 s
        // after it was used, so the burst gets its ten and no more.
        Assert.InRange(through, 1, 10);
        Assert.Equal("rate_limited", await limited[0].ProblemCodeAsync());
        // Come back when the first permits leave the window: 50 to 60 s after they were taken
        // (40 to 50 if the burst straddled a segment boundary).
        Assert.InRange(int.Parse(limited[0].Headers.GetValues("Retry-After").Single()), 41, 60);
        Assert.Equal(limited.Count, factory.Get<PurchaseMetrics>()[PurchaseResult.RateLimited]);
        Assert.Equal(1, answers.Count(a => a.StatusCode is HttpStatusCode.Created or HttpStatusCode.Accepted));

        // Another user is not affected.
        using var other = factory.ClientFor(8);
        Assert.Equal(HttpStatusCode.Created, (await other.PurchaseAsync(sale.Id)).StatusCode);

        // A minute later the window has moved on: the buyer is heard again (and has bought already).
        factory.Clock.Advance(TimeSpan.FromSeconds(61));
        var again = await greedy.PurchaseAsync(sale.Id);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("already_purchased", await again.ProblemCodeAsync());
    }

    [Fact]
    public async Task AHundredThousandRequestsForUnknownSalesReachStorageAtMostOncePerId()
    {
        // 20,000 unknown ids: the filter refuses almost all of them; 1% are put in the filter, as
        // its false positives (or ids of sales gone from storage) would be, and must be read
        // once each and then remembered.
        using var factory = new SeckillFactory(services: CountingSaleStore.Install);
        var store = (CountingSaleStore)factory.Get<ISaleStore>();
        var sale = await factory.CreateSaleAsync();
        var filter = factory.Get<SaleDirectory>().Filter;
        var random = new Random(42);
        var unknownIds = Enumerable.Range(0, 20_000).Select(_ => random.NextInt64(1_000_000, long.MaxValue)).Distinct().ToArray();
        foreach (var id in unknownIds.Where((_, i) => i % 100 == 0))
        {
            filter.Add(id);
        }
        var passingFilter = unknownIds.Count(filter.MightContain);
        Assert.InRange(passingFilter, 200, 260);

        using var buyer = factory.ClientFor(11);
        var requests = Enumerable.Range(0, 100_000).Select(i => (Id: unknownIds[i % unknownIds.Length], Buy: i % 2 == 0));
        var statuses = new System.Collections.Concurrent.ConcurrentBag<HttpStatusCode>();
        await Parallel.ForEachAsync(requests, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (request, _) =>
        {
            var response = request.Buy ? await buyer.PurchaseAsync(request.Id) : await buyer.GetAsync($"/api/sales/{request.Id}");
            statuses.Add(response.StatusCode);
        });

        Assert.Equal(100_000, statuses.Count(s => s == HttpStatusCode.NotFound));
        Assert.All(store.Finds, find => Assert.True(find.Value <= 1, $"sale id {find.Key} read {find.Value} times"));
        Assert.Equal(passingFilter, store.Finds.Count);
        Assert.Equal(0, store.FindsOf(sale.Id));
    }

    [Fact]
    public async Task IdsPassingTheFilterAreKeptToOneReadEachByTheNegativeCache()
    {
        // Half of 1,000 unknown ids are put in the filter (as false positives, or ids of sales
        // gone from storage, would be), then all are hammered concurrently, 50 times each.
        using var factory = new SeckillFactory(services: CountingSaleStore.Install);
        var store = (CountingSaleStore)factory.Get<ISaleStore>();
        var filter = factory.Get<SaleDirectory>().Filter;
        var unknownIds = Enumerable.Range(0, 1_000).Select(i => 5_000_000L + i * 7).ToArray();
        foreach (var id in unknownIds.Where((_, i) => i % 2 == 0))
        {
            filter.Add(id);
        }
        var passingFilter = unknownIds.Count(filter.MightContain);
        Assert.InRange(passingFilter, 500, 510);

        using var client = factory.CreateClient();
        await Parallel.ForEachAsync(Enumerable.Range(0, 50_000), new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (i, _) =>
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/sales/{unknownIds[i % unknownIds.Length]}")).StatusCode));

        Assert.Equal(passingFilter, store.Finds.Count);
        Assert.All(store.Finds, find => Assert.Equal(1, find.Value));
    }

    [Fact]
    public async Task TokenlessBuyersOfATokenSaleMakeNoOrders()
    {
        using var factory = new SeckillFactory();
        var sale = await factory.CreateSaleAsync(stock: 100, requireToken: true);
        var clients = Enumerable.Range(60_000, 2_000).Select(user => factory.ClientFor(user)).ToArray();

        var answers = await Task.WhenAll(clients.Select(client => client.PurchaseAsync(sale.Id)));

        Assert.All(answers, answer => Assert.Equal(HttpStatusCode.Forbidden, answer.StatusCode));
        Assert.Equal("bad_token", await answers[0].ProblemCodeAsync());
        var stock = await factory.SettledStockAsync(sale.Id);
        Assert.Equal(0, stock.Sold);
        Assert.Equal(100, stock.Pool + stock.Available);
        foreach (var client in clients)
        {
            client.Dispose();
        }
    }
}
