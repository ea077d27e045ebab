using System.Net;
using System.Net.Http.Json;
using Seckill.Web.Http;
using Seckill.Web.Orders;
using Seckill.Web.Tests.Infrastructure;

namespace Seckill.Web.Tests.Endpoints;

/// <summary>Order listings: a sale's orders for admins (by status, a page at a time), a buyer's own for the buyer.</summary>
public sealed class OrderListTests : IDisposable
{
    private readonly SeckillFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task ASalesOrdersAreListedByStatusAPageAtATime()
    {
        var sale = await _factory.CreateSaleAsync(stock: 10);
        var other = await _factory.CreateSaleAsync(stock: 10);
        var ids = new List<long>();
        for (var user = 1; user <= 5; user++)
        {
            using var buyer = _factory.ClientFor(user);
            ids.Add((await (await buyer.PurchaseAsync(sale.Id)).ReadPurchaseAsync()).OrderId);
        }
        using (var outsider = _factory.ClientFor(9))
        {
            Assert.Equal(HttpStatusCode.Created, (await outsider.PurchaseAsync(other.Id)).StatusCode);
        }
        using (var payer = _factory.ClientFor(2))
        {
            Assert.Equal(HttpStatusCode.OK, (await payer.PostAsync($"/api/orders/{ids[1]}/pay", null)).StatusCode);
        }
        using (var canceller = _factory.ClientFor(3))
        {
            Assert.Equal(HttpStatusCode.OK, (await canceller.PostAsync($"/api/orders/{ids[2]}/cancel", null)).StatusCode);
        }
        using var admin = _factory.Admin();

        var all = await ListAsync(admin, $"/api/admin/sales/{sale.Id}/orders");
        Assert.Equal(5, all.Total);
        Assert.Equal(ids.AsEnumerable().Reverse(), all.Items.Select(order => order.OrderId));
        Assert.All(all.Items, order => Assert.Equal(sale.Id, order.SaleId));

        Assert.Equal([ids[1]], (await ListAsync(admin, $"/api/admin/sales/{sale.Id}/orders?status=paid")).Items.Select(order => order.OrderId));
        Assert.Equal([ids[2]], (await ListAsync(admin, $"/api/admin/sales/{sale.Id}/orders?status=cancelled")).Items.Select(order => order.OrderId));
        var awaiting = await ListAsync(admin, $"/api/admin/sales/{sale.Id}/orders?status=awaiting_payment&pageSize=2&page=2");
        Assert.Equal(3, awaiting.Total);
        Assert.Equal([ids[0]], awaiting.Items.Select(order => order.OrderId));
        Assert.NotNull(awaiting.Items[0].PayBy);
    }

    [Theory]
    [InlineData("?status=queued")]
    [InlineData("?status=PAID")]
    [InlineData("?page=0")]
    [InlineData("?pageSize=1000")]
    public async Task ABadOrderListingQueryIsRefusedWithACode(string query)
    {
        var sale = await _factory.CreateSaleAsync(stock: 10);
        using var admin = _factory.Admin();
        var response = await admin.GetAsync($"/api/admin/sales/{sale.Id}/orders{query}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("validation_failed", await response.ProblemCodeAsync());
    }

    [Fact]
    public async Task ABuyerListsTheirOwnOrdersOnly()
    {
        var first = await _factory.CreateSaleAsync(stock: 10);
        var second = await _factory.CreateSaleAsync(stock: 10);
        using var buyer = _factory.ClientFor(21);
        using var neighbour = _factory.ClientFor(22);
        var mine = new[]
        {
            (await (await buyer.PurchaseAsync(first.Id)).ReadPurchaseAsync()).OrderId,
            (await (await buyer.PurchaseAsync(second.Id)).ReadPurchaseAsync()).OrderId,
        };
        Assert.Equal(HttpStatusCode.Created, (await neighbour.PurchaseAsync(first.Id)).StatusCode);

        var listed = await ListAsync(buyer, "/api/me/orders");
        Assert.Equal(2, listed.Total);
        Assert.Equal(mine.Reverse(), listed.Items.Select(order => order.OrderId));
        Assert.All(listed.Items, order => Assert.Equal(21, order.UserId));
        Assert.Equal([mine[0]], (await ListAsync(buyer, "/api/me/orders?pageSize=1&page=2")).Items.Select(order => order.OrderId));

        var bad = await buyer.GetAsync("/api/me/orders?page=nope");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("validation_failed", await bad.ProblemCodeAsync());
        using var anonymous = _factory.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/me/orders")).StatusCode);
    }

    [Fact]
    public async Task ACancellationWhoseCallerLeftStillGivesTheBuyerTheirMarkBack()
    {
        var sale = await _factory.CreateSaleAsync(stock: 10);
        using var buyer = _factory.ClientFor(31);
        var orderId = (await (await buyer.PurchaseAsync(sale.Id)).ReadPurchaseAsync()).OrderId;
        await _factory.SettledStockAsync(sale.Id);

        // The request was aborted (its token cancelled) before the batch committed.
        var outcome = await _factory.Get<OrderLifecycle>().CancelAsync(orderId, null, new CancellationToken(canceled: true));

        Assert.Equal(CancelOutcome.Cancelled, outcome);
        Assert.Equal(HttpStatusCode.Created, (await buyer.PurchaseAsync(sale.Id)).StatusCode);
    }

    private static async Task<PageResponse<OrderResponse>> ListAsync(HttpClient client, string path)
    {
        var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<PageResponse<OrderResponse>>(Api.Json))!;
    }
}
