using System.Net;
using System.Net.Http.Json;
using Seckill.Web.Tests.Infrastructure;

namespace Seckill.Web.Tests.Endpoints;

/// <summary>
/// The bare endpoint benchmarks measure the purchase path against (<c>Ops/BareEndpoint</c>): absent
/// unless <c>Ops:BareEndpoint</c> is set; when set, the sold-out refusal's answer and nothing done.
/// </summary>
public sealed class BareEndpointTests
{
    [Fact]
    public async Task ItIsNotThereUnlessTurnedOn()
    {
        using var factory = new SeckillFactory();
        var sale = await factory.CreateSaleAsync(stock: 5);
        using var buyer = factory.ClientFor(42);
        var response = await buyer.PostAsJsonAsync($"/bare/sales/{sale.Id}/purchase", new { quantity = 1 });
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task TurnedOnItAnswersTheSoldOutRefusalAndTouchesNothing()
    {
        using var factory = new SeckillFactory(new Dictionary<string, string?> { ["Ops:BareEndpoint"] = "true" });
        var sale = await factory.CreateSaleAsync(stock: 5);
        using var buyer = factory.ClientFor(42);

        var bare = await buyer.PostAsJsonAsync($"/bare/sales/{sale.Id}/purchase", new { quantity = 1 });

        Assert.Equal(HttpStatusCode.Conflict, bare.StatusCode);
        Assert.Equal("sold_out", await bare.ProblemCodeAsync());
        var stock = await factory.StockAsync(sale.Id);
        Assert.Equal((5L, 0L, 0L), (stock.Pool + stock.Available, stock.Reserved, stock.Sold));
        // The real route is untouched by it: the same buyer still buys.
        Assert.Equal(HttpStatusCode.Created, (await buyer.PurchaseAsync(sale.Id)).StatusCode);
    }

    [Fact]
    public void AValueThatIsNotABooleanStopsStartupNamingTheKey()
    {
        using var factory = new SeckillFactory(new Dictionary<string, string?> { ["Ops:BareEndpoint"] = "yes please" });
        var error = Assert.ThrowsAny<InvalidOperationException>(() => factory.CreateClient());
        Assert.Contains("Ops:BareEndpoint", error.ToString());
    }
}
