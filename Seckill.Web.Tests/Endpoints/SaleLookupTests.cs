using System.Net;
using System.Net.Http.Json;
using Seckill.Web.Sales;
using Seckill.Web.Tests.Infrastructure;

namespace Seckill.Web.Tests.Endpoints;

/// <summary>How sales are found: pinned while running, Bloom filter and negative cache for junk ids, TTL cache for ended ones.</summary>
public sealed class SaleLookupTests
{
    private static SeckillFactory Factory(params (string Key, string Value)[] settings) =>
        new(settings.ToDictionary(s => s.Key, s => (string?)s.Value), services: CountingSaleStore.Install);

    [Fact]
    public async Task AnUnknownIdThatPassesTheFilterReachesStorageOncePerMinute()
    {
        using var factory = Factory();
        var store = (CountingSaleStore)factory.Get<ISaleStore>();
        using var client = factory.CreateClient();
        // An id the filter lets through though no sale has it: a false positive.
        const long unknown = 987_654_321;
        factory.Get<SaleDirectory>().Filter.Add(unknown);

        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/sales/{unknown}")).StatusCode);
        }
        Assert.Equal(1, store.FindsOf(unknown));

        // Still remembered at the end of the minute (the jitter only ever lengthens it)...
        factory.Clock.Advance(TimeSpan.FromSeconds(59));
        await client.GetAsync($"/api/sales/{unknown}");
        Assert.Equal(1, store.FindsOf(unknown));

        // ...and once it has expired (at most +10%), the next requests read again, once.
        factory.Clock.Advance(TimeSpan.FromSeconds(8));
        for (var i = 0; i < 50; i++)
        {
            await client.GetAsync($"/api/sales/{unknown}");
        }
        Assert.Equal(2, store.FindsOf(unknown));
    }

    [Fact]
    public async Task RunningSalesAreServedFromMemoryAndFollowStorageChanges()
    {
        using var factory = Factory(("Gate:SaleRefreshInterval", "00:00:00.050"));
        var store = (CountingSaleStore)factory.Get<ISaleStore>();
        var sale = await factory.CreateSaleAsync(stock: 50);
        using var buyer = factory.ClientFor(3);
        for (var i = 0; i < 20; i++)
        {
            await buyer.GetAsync($"/api/sales/{sale.Id}");
        }
        Assert.Equal(HttpStatusCode.Created, (await buyer.PurchaseAsync(sale.Id)).StatusCode);
        Assert.Equal(0, store.FindsOf(sale.Id));

        // An operator fixes the name in the database: the refresher brings it in.
        factory.ExecuteSql($"UPDATE sales SET name = 'Renamed' WHERE id = {sale.Id}");
        await Eventually.TrueAsync(async () =>
            (await buyer.GetFromJsonAsync<SaleResponse>($"/api/sales/{sale.Id}", Api.Json))!.Name == "Renamed",
            "the refreshed name");
    }

    [Fact]
    public async Task AnEndedSaleIsReadFromStorageOnceThenServedFromTheCache()
    {
        using var storage = new TestStore();
        var clock = new TestClock();
        long saleId;
        using (var first = new SeckillFactory(store: storage, clock: clock))
        {
            saleId = (await first.CreateSaleAsync(lasts: TimeSpan.FromMinutes(1))).Id;
        }
        clock.Advance(TimeSpan.FromDays(8));

        // A new process, long after: the ended sale is neither pinned nor restored, only in the filter.
        using var restarted = new SeckillFactory(store: storage, clock: clock, services: CountingSaleStore.Install);
        var store = (CountingSaleStore)restarted.Get<ISaleStore>();
        using var buyer = restarted.ClientFor(4);
        var answers = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => buyer.PurchaseAsync(saleId)));
        foreach (var answer in answers)
        {
            Assert.Equal("ended", await answer.ProblemCodeAsync());
        }
        Assert.Equal("ended", (await buyer.GetFromJsonAsync<SaleResponse>($"/api/sales/{saleId}", Api.Json))!.Status);
        Assert.Equal(1, store.FindsOf(saleId));
    }
}
