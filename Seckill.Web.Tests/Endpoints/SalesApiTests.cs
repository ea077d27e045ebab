using System.Net;
using System.Net.Http.Json;
using Seckill.Web.Sales;
using Seckill.Web.Tests.Infrastructure;

namespace Seckill.Web.Tests.Endpoints;

public sealed class SalesApiTests : IDisposable
{
    private readonly SeckillFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task AdminCreatesASaleAndBuyersSeeIt()
    {
        var created = await _factory.CreateSaleAsync(stock: 250, perUserLimit: 3, price: 12.50m);
        Assert.Equal(250, created.Stock);
        Assert.Equal(250, created.Remaining);
        Assert.Equal(12.50m, created.Price);
        Assert.Equal("active", created.Status);

        using var buyer = _factory.ClientFor(42);
        var sale = await buyer.GetFromJsonAsync<SaleResponse>($"/api/sales/{created.Id}", Api.Json);
        Assert.Equal(created with { }, sale);
    }

    [Fact]
    public async Task CreatedSaleHasALocation()
    {
        using var admin = _factory.Admin();
        var now = _factory.Clock.GetUtcNow();
        var response = await admin.PostAsJsonAsync("/api/admin/sales", new
        {
            sku = "A", name = "A", price = 1, stock = 5, startsAt = now, endsAt = now.AddHours(1), perUserLimit = 1,
        });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var sale = await response.Content.ReadFromJsonAsync<SaleResponse>(Api.Json);
        Assert.Equal($"/api/sales/{sale!.Id}", response.Headers.Location?.ToString());
    }

    [Fact]
    public async Task SaleStatusFollowsItsWindowAndStock()
    {
        var upcoming = await _factory.CreateSaleAsync(stock: 1, startsIn: TimeSpan.FromMinutes(10), lasts: TimeSpan.FromMinutes(10));
        Assert.Equal("upcoming", upcoming.Status);

        var active = await _factory.CreateSaleAsync(stock: 1);
        using var buyer = _factory.ClientFor(7);
        Assert.Equal(HttpStatusCode.Created, (await buyer.PurchaseAsync(active.Id)).StatusCode);
        // The remaining count a page shows is shared for a moment (SaleStatusReader), then counted again.
        _factory.Clock.Advance(Seckill.Web.Sales.SaleStatusReader.RemainingFreshFor);
        var soldOut = await buyer.GetFromJsonAsync<SaleResponse>($"/api/sales/{active.Id}", Api.Json);
        Assert.Equal("sold_out", soldOut!.Status);
        Assert.Equal(0, soldOut.Remaining);

        _factory.Clock.Advance(TimeSpan.FromMinutes(15));
        Assert.Equal("active", (await buyer.GetFromJsonAsync<SaleResponse>($"/api/sales/{upcoming.Id}", Api.Json))!.Status);
        _factory.Clock.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal("ended", (await buyer.GetFromJsonAsync<SaleResponse>($"/api/sales/{upcoming.Id}", Api.Json))!.Status);
    }

    [Fact]
    public async Task UnknownSaleIs404WithCode()
    {
        using var buyer = _factory.ClientFor(7);
        var response = await buyer.GetAsync("/api/sales/987654321");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("sale_not_found", await response.ProblemCodeAsync());
    }

    [Fact]
    public async Task StockEndpointShowsTheConservationTerms()
    {
        var sale = await _factory.CreateSaleAsync(stock: 100);
        var stock = await _factory.StockAsync(sale.Id);
        Assert.Equal(100, stock.Total);
        Assert.Equal(20, stock.Pool); // ReserveRatio 0.2 stays in the pool at warm-up
        Assert.Equal(80, stock.Available);
        Assert.Equal(0, stock.Sold);
        Assert.Single(stock.Shards);
        Api.AssertConserved(stock);
    }

    [Fact]
    public async Task StockEndpointOfAnUnknownSaleIs404()
    {
        using var admin = _factory.Admin();
        var response = await admin.GetAsync("/api/admin/sales/987654321/stock");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("sale_not_found", await response.ProblemCodeAsync());
    }

    public static TheoryData<string, string> InvalidSales => new()
    {
        { """{"name":"n","price":1,"stock":5,"startsAt":"2026-01-01T00:00:00Z","endsAt":"2099-01-01T00:00:00Z"}""", "sku" },
        { """{"sku":"s","price":1,"stock":5,"startsAt":"2026-01-01T00:00:00Z","endsAt":"2099-01-01T00:00:00Z"}""", "name" },
        { """{"sku":"s","name":"n","price":-1,"stock":5,"startsAt":"2026-01-01T00:00:00Z","endsAt":"2099-01-01T00:00:00Z"}""", "price" },
        { """{"sku":"s","name":"n","price":1.001,"stock":5,"startsAt":"2026-01-01T00:00:00Z","endsAt":"2099-01-01T00:00:00Z"}""", "price" },
        { """{"sku":"s","name":"n","price":1,"stock":0,"startsAt":"2026-01-01T00:00:00Z","endsAt":"2099-01-01T00:00:00Z"}""", "stock" },
        { """{"sku":"s","name":"n","price":1,"stock":20000000,"startsAt":"2026-01-01T00:00:00Z","endsAt":"2099-01-01T00:00:00Z"}""", "stock" },
        { """{"sku":"s","name":"n","price":1,"stock":5,"endsAt":"2099-01-01T00:00:00Z"}""", "startsAt" },
        { """{"sku":"s","name":"n","price":1,"stock":5,"startsAt":"2099-01-02T00:00:00Z","endsAt":"2099-01-01T00:00:00Z"}""", "endsAt" },
        { """{"sku":"s","name":"n","price":1,"stock":5,"startsAt":"2020-01-01T00:00:00Z","endsAt":"2020-01-02T00:00:00Z"}""", "endsAt" },
        { """{"sku":"s","name":"n","price":1,"stock":5,"startsAt":"2026-01-01T00:00:00Z","endsAt":"2099-01-01T00:00:00Z","perUserLimit":6}""", "perUserLimit" },
        { """{"sku":"s","name":"n","price":1,"stock":5,"startsAt":"2026-01-01T00:00:00Z","endsAt":"2099-01-01T00:00:00Z","perUserLimit":0}""", "perUserLimit" },
    };

    [Theory]
    [MemberData(nameof(InvalidSales))]
    public async Task InvalidSaleIsRefusedNamingTheField(string body, string field)
    {
        using var admin = _factory.Admin();
        var response = await admin.PostAsync("/api/admin/sales", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.ProblemAsync();
        Assert.Equal("validation_failed", problem.GetProperty("code").GetString());
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"errors should name {field}: {problem}");
        Assert.Empty(_factory.Get<SaleCatalog>().All);
    }
}
