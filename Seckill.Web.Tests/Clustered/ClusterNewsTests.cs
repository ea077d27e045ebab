using System.Net;
using System.Net.Http.Json;
using Seckill.Web.Tests.Infrastructure;

namespace Seckill.Web.Tests.Clustered;

/// <summary>
/// What one instance learns, all learn at once: two instances of one cluster, whose periodic
/// refresh is an hour away, so only the news on the cluster's channel can tell the second what
/// was done through the first.
/// </summary>
public sealed class ClusterNewsTests : IDisposable
{
    /// <summary>Far below the refresh (an hour): the news, one pub/sub hop and one read, or nothing.</summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(5);

    private readonly TestStore _store = new(StorageMode.Clustered);
    // The second instance: same MySQL and pool Redis, its own shard and id (its store's other
    // databases are not used).
    private readonly TestStore _secondShard = new(StorageMode.Clustered);
    private readonly SeckillFactory _first;
    private readonly SeckillFactory _second;

    public ClusterNewsTests()
    {
        _first = new SeckillFactory(new Dictionary<string, string?> { ["Gate:SaleRefreshInterval"] = "01:00:00" }, _store);
        _second = new SeckillFactory(new Dictionary<string, string?>
        {
            ["Seckill:InstanceId"] = "1",
            ["Gate:SaleRefreshInterval"] = "01:00:00",
            ["Redis:Shard"] = _secondShard.Settings["Redis:Shard"],
        }, _store);
        _first.CreateClient().Dispose();
        _second.CreateClient().Dispose();
    }

    [Fact]
    public async Task ASaleCreatedThroughOneInstanceIsFoundAndSoldOnTheOtherAtOnce()
    {
        var sale = await _first.CreateSaleAsync(stock: 10);

        using var buyer = _second.ClientFor(42);
        await Eventually.TrueAsync(
            async () => (await buyer.GetAsync($"/api/sales/{sale.Id}")).StatusCode == HttpStatusCode.OK,
            "the second instance to know the sale", Deadline);
        Assert.Equal(HttpStatusCode.Created, (await buyer.PurchaseAsync(sale.Id)).StatusCode);
    }

    [Fact]
    public async Task ABlacklistChangeThroughOneInstanceAppliesOnTheOtherAtOnce()
    {
        var sale = await _second.CreateSaleAsync(stock: 10);
        using var admin = _first.Admin();
        using var buyer = _second.ClientFor(77);

        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync("/api/admin/blacklist/77", null)).StatusCode);
        // The token endpoint runs the same check as a purchase, without buying while it waits.
        await Eventually.TrueAsync(
            async () => (await buyer.GetAsync($"/api/sales/{sale.Id}/token")).StatusCode == HttpStatusCode.Forbidden,
            "the second instance to refuse the blacklisted user", Deadline);
        var refused = await buyer.PurchaseAsync(sale.Id);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("blacklisted", await refused.ProblemCodeAsync());

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync("/api/admin/blacklist/77")).StatusCode);
        await Eventually.TrueAsync(
            async () => (await buyer.GetAsync($"/api/sales/{sale.Id}/token")).StatusCode == HttpStatusCode.OK,
            "the second instance to let the user buy again", Deadline);
        Assert.Equal(HttpStatusCode.Created, (await buyer.PurchaseAsync(sale.Id)).StatusCode);
    }

    [Fact]
    public async Task ASaleEndedThroughOneInstanceStopsSellingOnTheOtherAtOnce()
    {
        var sale = await _first.CreateSaleAsync(stock: 10);
        using var buyer = _second.ClientFor(5);
        await Eventually.TrueAsync(
            async () => (await buyer.GetAsync($"/api/sales/{sale.Id}")).StatusCode == HttpStatusCode.OK,
            "the second instance to know the sale", Deadline);

        using var admin = _first.Admin();
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/admin/sales/{sale.Id}/end", null)).StatusCode);

        // Asked without buying while it waits: the sale's page says ended once the news is applied.
        await Eventually.TrueAsync(
            async () => (await buyer.GetFromJsonAsync<Seckill.Web.Sales.SaleResponse>($"/api/sales/{sale.Id}", Api.Json))!.Status == "ended",
            "the second instance to know the sale ended", Deadline);
        Assert.Equal("ended", await (await buyer.PurchaseAsync(sale.Id)).ProblemCodeAsync());
        Assert.Equal(0, (await _first.StockAsync(sale.Id)).Sold);
    }

    [Fact]
    public async Task StockAddedThroughOneInstanceIsSoldOnTheOther()
    {
        var sale = await _first.CreateSaleAsync(stock: 1);
        var user = 100;
        async Task<string> BuyAtSecondAsync()
        {
            using var buyer = _second.ClientFor(++user);
            var response = await buyer.PurchaseAsync(sale.Id);
            return response.StatusCode == HttpStatusCode.Created ? "Created" : await response.ProblemCodeAsync();
        }
        await Eventually.TrueAsync(async () => await BuyAtSecondAsync() == "Created", "the second instance to sell the one unit", Deadline);
        Assert.Equal("sold_out", await BuyAtSecondAsync());

        using var admin = _first.Admin();
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsJsonAsync($"/api/admin/sales/{sale.Id}/stock", new { units = 2 })).StatusCode);

        // Buyers told sold_out before the news arrives buy nothing; then the two new units sell there.
        var sold = 0;
        await Eventually.TrueAsync(async () => await BuyAtSecondAsync() == "Created" && ++sold == 2, "the second instance to sell the added units", Deadline);
        Assert.Equal("sold_out", await BuyAtSecondAsync());
        var settled = await _first.SettledStockAsync(sale.Id);
        Assert.Equal((3L, 3L), (settled.Total, settled.Sold));
    }

    public void Dispose()
    {
        _second.Dispose();
        _first.Dispose();
        _secondShard.Dispose();
        _store.Dispose();
    }
}
