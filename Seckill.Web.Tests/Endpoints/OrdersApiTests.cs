using System.Net;
using System.Net.Http.Json;
using Seckill.Web.Orders;
using Seckill.Web.Tests.Infrastructure;

namespace Seckill.Web.Tests.Endpoints;

public sealed class OrdersApiTests : IDisposable
{
    private readonly SeckillFactory _factory = new(new Dictionary<string, string?> { ["Orders:PaymentTimeout"] = "00:10:00" });

    public void Dispose() => _factory.Dispose();

    private async Task<(long SaleId, long OrderId, HttpClient Buyer)> BuyAsync(long userId = 42, int stock = 10, int quantity = 1)
    {
        var sale = await _factory.CreateSaleAsync(stock: stock, perUserLimit: Math.Max(1, quantity));
        var buyer = _factory.ClientFor(userId);
        var response = await buyer.PurchaseAsync(sale.Id, quantity);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (sale.Id, (await response.ReadPurchaseAsync()).OrderId, buyer);
    }

    [Fact]
    public async Task TheOwnerAndAdminsSeeAnOrderOthersDoNot()
    {
        var (saleId, orderId, buyer) = await BuyAsync();
        var own = await buyer.GetFromJsonAsync<OrderResponse>($"/api/orders/{orderId}", Api.Json);
        Assert.Equal((orderId, saleId, 42L, "awaiting_payment"), (own!.OrderId, own.SaleId, own.UserId, own.Status));

        Assert.Equal(orderId, (await _factory.OrderAsync(orderId)).OrderId);

        using var stranger = _factory.ClientFor(43);
        var hidden = await stranger.GetAsync($"/api/orders/{orderId}");
        Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
        Assert.Equal("order_not_found", await hidden.ProblemCodeAsync());
        Assert.Equal("order_not_found", await (await stranger.PostAsync($"/api/orders/{orderId}/pay", null)).ProblemCodeAsync());
        Assert.Equal("order_not_found", await (await stranger.PostAsync($"/api/orders/{orderId}/cancel", null)).ProblemCodeAsync());
        Assert.Equal("awaiting_payment", (await _factory.OrderAsync(orderId)).Status);
    }

    [Fact]
    public async Task PayingMarksTheOrderPaidAndIsIdempotent()
    {
        var (saleId, orderId, buyer) = await BuyAsync();
        foreach (var _ in new[] { 1, 2 })
        {
            var response = await buyer.PostAsync($"/api/orders/{orderId}/pay", null);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("paid", (await response.Content.ReadFromJsonAsync<OrderStatusResponse>(Api.Json))!.Status);
        }
        var stock = await _factory.SettledStockAsync(saleId);
        Assert.Equal((1L, 1L, 0L), (stock.Sold, stock.Paid, stock.AwaitingPayment));
    }

    [Fact]
    public async Task CancellingReturnsTheStockToThePoolAndTheBuyerMayBuyAgain()
    {
        var (saleId, orderId, buyer) = await BuyAsync(stock: 1);
        using var other = _factory.ClientFor(77);
        Assert.Equal("sold_out", await (await other.PurchaseAsync(saleId)).ProblemCodeAsync());

        var cancel = await buyer.PostAsync($"/api/orders/{orderId}/cancel", null);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.Equal("cancelled", (await cancel.Content.ReadFromJsonAsync<OrderStatusResponse>(Api.Json))!.Status);
        var stock = await _factory.SettledStockAsync(saleId);
        Assert.Equal((0L, 1L, 1L), (stock.Sold, stock.Pool, stock.Cancelled));

        // Cancelling again changes nothing.
        Assert.Equal(HttpStatusCode.OK, (await buyer.PostAsync($"/api/orders/{orderId}/cancel", null)).StatusCode);
        Assert.Equal(1, (await _factory.SettledStockAsync(saleId)).Pool);

        // The sold-out flag dropped and the unit sells again, to the same buyer too.
        Assert.Equal(HttpStatusCode.Created, (await buyer.PurchaseAsync(saleId)).StatusCode);
        Assert.Equal(1, (await _factory.SettledStockAsync(saleId)).Sold);
    }

    [Fact]
    public async Task APaidOrderCannotBeCancelled()
    {
        var (_, orderId, buyer) = await BuyAsync();
        await buyer.PostAsync($"/api/orders/{orderId}/pay", null);
        var response = await buyer.PostAsync($"/api/orders/{orderId}/cancel", null);
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("paid", await response.ProblemCodeAsync());
    }

    [Fact]
    public async Task ACancelledOrderCannotBePaid()
    {
        var (_, orderId, buyer) = await BuyAsync();
        await buyer.PostAsync($"/api/orders/{orderId}/cancel", null);
        var response = await buyer.PostAsync($"/api/orders/{orderId}/pay", null);
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("cancelled", await response.ProblemCodeAsync());
    }

    [Fact]
    public async Task AnOrderPastItsDeadlineExpiresAndReturnsItsStock()
    {
        var (saleId, orderId, buyer) = await BuyAsync(quantity: 2);
        _factory.Clock.Advance(TimeSpan.FromMinutes(11));
        await Eventually.TrueAsync(async () => (await _factory.OrderAsync(orderId)).Status == "expired", "the expiry job");

        var pay = await buyer.PostAsync($"/api/orders/{orderId}/pay", null);
        Assert.Equal(HttpStatusCode.Conflict, pay.StatusCode);
        Assert.Equal("expired", await pay.ProblemCodeAsync());
        var cancel = await buyer.PostAsync($"/api/orders/{orderId}/cancel", null);
        Assert.Equal("expired", await cancel.ProblemCodeAsync());

        var stock = await _factory.SettledStockAsync(saleId);
        Assert.Equal((0L, 2L), (stock.Sold, stock.Expired));
        // The expiry commits the order first, then frees the buyer's mark (in the shard's store,
        // then in the instance's memory): the buyer can buy again once that is done.
        await Eventually.TrueAsync(async () => (await buyer.PurchaseAsync(saleId)).StatusCode == HttpStatusCode.Created, "the buyer of the expired order to buy again");
    }

    [Fact]
    public async Task PayingAfterTheDeadlineExpiresTheOrderEvenBeforeTheJobRuns()
    {
        using var factory = new SeckillFactory(new Dictionary<string, string?>
        {
            ["Orders:PaymentTimeout"] = "00:10:00",
            ["Jobs:Expire"] = "0 0 31 2 *",
        });
        var sale = await factory.CreateSaleAsync(stock: 1);
        using var buyer = factory.ClientFor(42);
        var orderId = (await (await buyer.PurchaseAsync(sale.Id)).ReadPurchaseAsync()).OrderId;
        factory.Clock.Advance(TimeSpan.FromMinutes(11));

        var pay = await buyer.PostAsync($"/api/orders/{orderId}/pay", null);
        Assert.Equal("expired", await pay.ProblemCodeAsync());
        var stock = await factory.SettledStockAsync(sale.Id);
        Assert.Equal((0L, 1L, 1L), (stock.Sold, stock.Pool, stock.Expired));
    }

    [Theory]
    [InlineData("GET", "")]
    [InlineData("POST", "/pay")]
    [InlineData("POST", "/cancel")]
    public async Task UnknownOrdersAre404AndBadIds400(string method, string suffix)
    {
        using var buyer = _factory.ClientFor(42);
        var unknown = await buyer.SendAsync(new HttpRequestMessage(new HttpMethod(method), $"/api/orders/123456789{suffix}"));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("order_not_found", await unknown.ProblemCodeAsync());
        var bad = await buyer.SendAsync(new HttpRequestMessage(new HttpMethod(method), $"/api/orders/x1{suffix}"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("invalid_id", await bad.ProblemCodeAsync());
    }

    [Fact]
    public async Task OrderRoutesNeedAToken()
    {
        var (_, orderId, _) = await BuyAsync();
        using var anonymous = _factory.CreateClient();
        var response = await anonymous.GetAsync($"/api/orders/{orderId}");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("unauthorized", await response.ProblemCodeAsync());
    }
}
