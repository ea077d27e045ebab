using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Seckill.Web.Tests.Infrastructure;

namespace Seckill.Web.Tests.Endpoints;

public sealed class BlacklistTests
{
    [Fact]
    public async Task ABlacklistedUserIsRefusedFromTheMomentTheAdminCallReturnsUntilRemoved()
    {
        using var factory = new SeckillFactory();
        var sale = await factory.CreateSaleAsync(stock: 10);
        using var admin = factory.Admin();
        using var buyer = factory.ClientFor(77);

        var added = await admin.PostAsync("/api/admin/blacklist/77", null);
        Assert.Equal(HttpStatusCode.OK, added.StatusCode);
        using (var entry = JsonDocument.Parse(await added.Content.ReadAsStringAsync()))
        {
            Assert.Equal(77, entry.RootElement.GetProperty("userId").Id());
        }

        var refused = await buyer.PurchaseAsync(sale.Id);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("blacklisted", await refused.ProblemCodeAsync());
        var token = await buyer.GetAsync($"/api/sales/{sale.Id}/token");
        Assert.Equal("blacklisted", await token.ProblemCodeAsync());
        Assert.Equal(0, (await factory.SettledStockAsync(sale.Id)).Sold);

        using (var list = JsonDocument.Parse(await admin.GetStringAsync("/api/admin/blacklist")))
        {
            Assert.Equal([77L], list.RootElement.GetProperty("users").EnumerateArray().Select(u => u.GetProperty("userId").Id()));
        }

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync("/api/admin/blacklist/77")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await buyer.PurchaseAsync(sale.Id)).StatusCode);
        var again = await admin.DeleteAsync("/api/admin/blacklist/77");
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        Assert.Equal("not_blacklisted", await again.ProblemCodeAsync());
    }

    [Fact]
    public async Task AddingTwiceKeepsOneEntryWithTheFirstDate()
    {
        using var factory = new SeckillFactory();
        using var admin = factory.Admin();
        var first = await (await admin.PostAsync("/api/admin/blacklist/5", null)).Content.ReadFromJsonAsync<JsonElement>();
        factory.Clock.Advance(TimeSpan.FromMinutes(5));
        var second = await (await admin.PostAsync("/api/admin/blacklist/5", null)).Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(first.GetProperty("addedAt").GetDateTimeOffset(), second.GetProperty("addedAt").GetDateTimeOffset());
        using var list = JsonDocument.Parse(await admin.GetStringAsync("/api/admin/blacklist"));
        Assert.Equal(1, list.RootElement.GetProperty("users").GetArrayLength());
    }

    [Fact]
    public async Task TheBlacklistSurvivesARestart()
    {
        using var store = new TestStore();
        long saleId;
        using (var factory = new SeckillFactory(store: store))
        {
            saleId = (await factory.CreateSaleAsync()).Id;
            using var admin = factory.Admin();
            Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync("/api/admin/blacklist/31", null)).StatusCode);
        }

        using var restarted = new SeckillFactory(store: store);
        using var buyer = restarted.ClientFor(31);
        var response = await buyer.PurchaseAsync(saleId);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("blacklisted", await response.ProblemCodeAsync());
    }

    /// <summary>What another instance changed and whose message was lost still arrives, at the next reload.</summary>
    [Fact]
    public async Task TheListIsReloadedFromStoragePeriodically()
    {
        using var factory = new SeckillFactory(new Dictionary<string, string?> { ["Gate:SaleRefreshInterval"] = "00:00:00.100" });
        var sale = await factory.CreateSaleAsync(stock: 10);
        using var buyer = factory.ClientFor(55);

        // Behind the service's back, as another instance would write it.
        factory.ExecuteSql("INSERT INTO blacklist (user_id, added_at) VALUES (55, 0)");
        await Eventually.TrueAsync(
            async () => (await buyer.GetAsync($"/api/sales/{sale.Id}/token")).StatusCode == HttpStatusCode.Forbidden,
            "the reload to add the user", TimeSpan.FromSeconds(5));

        factory.ExecuteSql("DELETE FROM blacklist WHERE user_id = 55");
        await Eventually.TrueAsync(
            async () => (await buyer.GetAsync($"/api/sales/{sale.Id}/token")).StatusCode == HttpStatusCode.OK,
            "the reload to remove the user", TimeSpan.FromSeconds(5));
        Assert.Equal(HttpStatusCode.Created, (await buyer.PurchaseAsync(sale.Id)).StatusCode);
    }
}
