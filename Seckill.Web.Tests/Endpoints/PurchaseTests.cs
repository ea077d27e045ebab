using System.Net;
using System.Net.Http.Json;
using Seckill.Web.Tests.Infrastructure;

namespace Seckill.Web.Tests.Endpoints;

public sealed class PurchaseTests : IDisposable
{
    private readonly SeckillFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task AWinnerGets201WithTheCommittedOrder()
    {
        var sale = await _factory.CreateSaleAsync(stock: 10, perUserLimit: 2);
        using var buyer = _factory.ClientFor(42);
        var response = await buyer.PurchaseAsync(sale.Id, quantity: 2);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.ReadPurchaseAsync();
        Assert.Equal("awaiting_payment", body.Status);
        Assert.Equal($"/api/orders/{body.OrderId}", response.Headers.Location?.ToString());

        var order = await _factory.OrderAsync(body.OrderId);
        Assert.Equal((sale.Id, 42L, 2, 19.98m, "awaiting_payment"), (order.SaleId, order.UserId, order.Quantity, order.Amount, order.Status));
        Assert.NotNull(order.PayBy);
        var stock = await _factory.SettledStockAsync(sale.Id);
        Assert.Equal(2, stock.Sold);
    }

    [Fact]
    public async Task ASecondPurchaseBySameUserIsRefusedWithTheExistingOrder()
    {
        var sale = await _factory.CreateSaleAsync(stock: 10);
        using var buyer = _factory.ClientFor(42);
        var first = await (await buyer.PurchaseAsync(sale.Id)).ReadPurchaseAsync();
        var second = await buyer.PurchaseAsync(sale.Id);

        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        var problem = await second.ProblemAsync();
        Assert.Equal("already_purchased", problem.GetProperty("code").GetString());
        Assert.Equal(first.OrderId, problem.GetProperty("orderId").Id());
        Assert.Equal(1, (await _factory.SettledStockAsync(sale.Id)).Sold);
    }

    [Fact]
    public async Task PurchaseBeforeTheStartIsRefused()
    {
        var sale = await _factory.CreateSaleAsync(startsIn: TimeSpan.FromMinutes(5));
        using var buyer = _factory.ClientFor(42);
        var response = await buyer.PurchaseAsync(sale.Id);
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("not_started", await response.ProblemCodeAsync());

        _factory.Clock.Advance(TimeSpan.FromMinutes(6));
        Assert.Equal(HttpStatusCode.Created, (await buyer.PurchaseAsync(sale.Id)).StatusCode);
    }

    [Fact]
    public async Task PurchaseAfterTheEndIsRefused()
    {
        var sale = await _factory.CreateSaleAsync(lasts: TimeSpan.FromMinutes(5));
        _factory.Clock.Advance(TimeSpan.FromMinutes(6));
        using var buyer = _factory.ClientFor(42);
        var response = await buyer.PurchaseAsync(sale.Id);
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("ended", await response.ProblemCodeAsync());
    }

    [Fact]
    public async Task PurchaseOfASoldOutSaleIsRefused()
    {
        var sale = await _factory.CreateSaleAsync(stock: 1);
        using var first = _factory.ClientFor(1001);
        using var second = _factory.ClientFor(1002);
        Assert.Equal(HttpStatusCode.Created, (await first.PurchaseAsync(sale.Id)).StatusCode);
        var response = await second.PurchaseAsync(sale.Id);
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("sold_out", await response.ProblemCodeAsync());
    }

    [Fact]
    public async Task TheLastUnitsSellEvenWhenTheyWereInThePool()
    {
        // 80 units go to the shard at warm-up, 20 stay in the pool: all 100 must sell.
        var sale = await _factory.CreateSaleAsync(stock: 100);
        var responses = await Task.WhenAll(Enumerable.Range(1, 120).Select(async user =>
        {
            using var buyer = _factory.ClientFor(user);
            return (await buyer.PurchaseAsync(sale.Id)).StatusCode;
        }));
        Assert.Equal(100, responses.Count(status => status is HttpStatusCode.Created or HttpStatusCode.Accepted));
        var stock = await _factory.SettledStockAsync(sale.Id);
        Assert.Equal((100L, 0L, 0L), (stock.Sold, stock.Pool, stock.Available));
    }

    [Fact]
    public async Task AnOrderBiggerThanWhatIsLeftIsRefusedButSmallerOnesStillSell()
    {
        var sale = await _factory.CreateSaleAsync(stock: 3, perUserLimit: 2);
        using var a = _factory.ClientFor(1);
        using var b = _factory.ClientFor(2);
        using var c = _factory.ClientFor(3);
        Assert.Equal(HttpStatusCode.Created, (await a.PurchaseAsync(sale.Id, 2)).StatusCode);
        var tooMany = await b.PurchaseAsync(sale.Id, 2);
        Assert.Equal("sold_out", await tooMany.ProblemCodeAsync());
        Assert.Equal(HttpStatusCode.Created, (await c.PurchaseAsync(sale.Id, 1)).StatusCode);
        Assert.Equal(3, (await _factory.SettledStockAsync(sale.Id)).Sold);
    }

    [Fact]
    public async Task QuantityAboveThePerUserLimitIsRefused()
    {
        var sale = await _factory.CreateSaleAsync(stock: 10, perUserLimit: 2);
        using var buyer = _factory.ClientFor(42);
        var response = await buyer.PurchaseAsync(sale.Id, quantity: 3);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_quantity", await response.ProblemCodeAsync());
    }

    [Fact]
    public async Task PurchaseOfAnUnknownSaleIs404()
    {
        using var buyer = _factory.ClientFor(42);
        var response = await buyer.PurchaseAsync(123456789);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("sale_not_found", await response.ProblemCodeAsync());
    }

    [Fact]
    public async Task AnonymousPurchaseIs401()
    {
        var sale = await _factory.CreateSaleAsync();
        using var anonymous = _factory.CreateClient();
        var response = await anonymous.PurchaseAsync(sale.Id);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("unauthorized", await response.ProblemCodeAsync());
    }

    [Fact]
    public async Task ARowTheDatabaseRefusesBecomesFailedAndItsStockReturns()
    {
        var sale = await _factory.CreateSaleAsync(stock: 5);
        // The database already holds an active order of user 42 that the shard does not know
        // about (as if its mark had been lost): the unique index must refuse the new one.
        _factory.ExecuteSql($"""
            INSERT INTO orders (id, sale_id, user_id, quantity, amount_cents, status, created_at, pay_by, updated_at)
            VALUES (1, {sale.Id}, 42, 1, 999, 'awaiting_payment', 0, 9999999999999, 0);
            UPDATE sales SET sold = 1 WHERE id = {sale.Id};
            """);
        using var buyer = _factory.ClientFor(42);
        var response = await buyer.PurchaseAsync(sale.Id);

        // The buyer is told about the order they do hold; the refused one is kept as failed.
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var problem = await response.ProblemAsync();
        Assert.Equal(("already_purchased", 1L), (problem.GetProperty("code").GetString(), problem.GetProperty("orderId").Id()));
        var stock = await _factory.StockAsync(sale.Id);
        // Back to the 5 units it had before the attempt (the injected order took none of them).
        Assert.Equal((5L, 0L, 1L), (stock.Pool + stock.Available, stock.Reserved, stock.Failed));

        // The shard learned of the existing order: the next attempt is answered in memory.
        var again = await buyer.PurchaseAsync(sale.Id);
        Assert.Equal(1L, (await again.ProblemAsync()).GetProperty("orderId").Id());
        Assert.Equal(1, (await _factory.StockAsync(sale.Id)).Failed);
    }

    [Fact]
    public async Task UnitsTheDatabaseSaysAreSoldLeaveCirculation()
    {
        var sale = await _factory.CreateSaleAsync(stock: 5);
        // The database has sold everything behind the service's back (drift): the guard refuses.
        _factory.ExecuteSql($"UPDATE sales SET sold = total_stock WHERE id = {sale.Id}");
        using var buyer = _factory.ClientFor(42);
        var response = await buyer.PurchaseAsync(sale.Id);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var problem = await response.ProblemAsync();
        Assert.Equal("sold_out", problem.GetProperty("code").GetString());
        var failed = await _factory.OrderAsync(problem.GetProperty("orderId").Id());
        Assert.Equal(("failed", "sold_out"), (failed.Status, failed.Reason));
        // The refused unit is not put back to be refused again; the other four still are in
        // memory until a reconcile corrects them.
        var stock = await _factory.StockAsync(sale.Id);
        Assert.Equal((4L, 0L), (stock.Pool + stock.Available, stock.Reserved));
    }

    [Fact]
    public async Task WhenTheDatabaseCannotConfirmInTimeTheBuyerGets202AndTheOrderFollows()
    {
        using var factory = new SeckillFactory(new Dictionary<string, string?> { ["Orders:ConfirmWaitMs"] = "0" });
        var sale = await factory.CreateSaleAsync(stock: 10);
        using var buyer = factory.ClientFor(42);

        long orderId;
        // Hold the database's write lock so the writer cannot commit: the order stays queued.
        using (factory.Store.HoldOrderWrites(sale.Id))
        {
            var response = await buyer.PurchaseAsync(sale.Id);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            var queued = await response.ReadPurchaseAsync();
            orderId = queued.OrderId;
            Assert.Equal("queued", queued.Status);
            Assert.True(queued.Position >= 1);
            Assert.NotNull(queued.EtaMs);
            Assert.Equal($"/api/orders/{queued.OrderId}", response.Headers.Location?.ToString());

            var order = await buyer.GetAsync($"/api/orders/{queued.OrderId}");
            Assert.Equal("queued", (await order.Content.ReadFromJsonAsync<Seckill.Web.Orders.OrderResponse>(Api.Json))!.Status);
            var pay = await buyer.PostAsync($"/api/orders/{queued.OrderId}/pay", null);
            Assert.Equal("queued", await pay.ProblemCodeAsync());
            Assert.Equal(1, (await factory.StockAsync(sale.Id)).Reserved);
        }

        await Eventually.TrueAsync(async () => (await factory.OrderAsync(orderId)).Status == "awaiting_payment", "the queued order to commit");
        Assert.Equal(1, (await factory.SettledStockAsync(sale.Id)).Sold);
    }
}
