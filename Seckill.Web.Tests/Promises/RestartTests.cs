using System.Net;
using Seckill.Web.Tests.Infrastructure;

namespace Seckill.Web.Tests.Promises;

public sealed class RestartTests : IDisposable
{
    private readonly TestStore _store = new();

    public void Dispose() => _store.Dispose();

    [Fact]
    public async Task StoppingWithCommittedAndQueuedOrdersLosesNothingAndStockIsRederived()
    {
        var settings = new Dictionary<string, string?> { ["Orders:ConfirmWaitMs"] = "0" };
        long saleId;
        var acknowledged = new Dictionary<long, long>();

        var first = new SeckillFactory(settings, _store);
        saleId = (await first.CreateSaleAsync(stock: 50)).Id;
        // Committed orders.
        foreach (var user in Enumerable.Range(1, 10))
        {
            using var buyer = first.ClientFor(user);
            acknowledged[user] = (await (await buyer.PurchaseAsync(saleId)).ReadPurchaseAsync()).OrderId;
        }
        await first.SettledStockAsync(saleId);

        // Queued orders: the database is held, so the writer cannot commit them.
        var hold = _store.HoldOrderWrites(saleId);
        foreach (var user in Enumerable.Range(11, 15))
        {
            using var buyer = first.ClientFor(user);
            var response = await buyer.PurchaseAsync(saleId);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            acknowledged[user] = (await response.ReadPurchaseAsync()).OrderId;
        }
        Assert.Equal(15, (await first.StockAsync(saleId)).Reserved);

        // Stop the host while they are queued; the lock goes once the stop has begun.
        var stopping = first.DisposeAsync().AsTask();
        hold.Dispose();
        await stopping;

        await using var second = new SeckillFactory(settings, _store);
        var stock = await second.SettledStockAsync(saleId);
        Assert.Equal((50L, 25L, 25L), (stock.Total, stock.Sold, stock.AwaitingPayment));
        Assert.Equal(25, stock.Pool + stock.Available);
        foreach (var (user, orderId) in acknowledged)
        {
            var order = await second.OrderAsync(orderId);
            Assert.Equal((user, "awaiting_payment"), (order.UserId, order.Status));
            // The buyer's mark came back with the order: no second order after a restart.
            using var buyer = second.ClientFor(user);
            Assert.Equal("already_purchased", await (await buyer.PurchaseAsync(saleId)).ProblemCodeAsync());
        }
        // And the rest of the stock sells.
        var more = await Task.WhenAll(Enumerable.Range(100, 40).Select(async user =>
        {
            using var buyer = second.ClientFor(user);
            return (await buyer.PurchaseAsync(saleId)).StatusCode;
        }));
        Assert.Equal(25, more.Count(s => s is HttpStatusCode.Created or HttpStatusCode.Accepted));
        Assert.Equal(50, (await second.SettledStockAsync(saleId)).Sold);
    }

    [Fact]
    public async Task CancelledAndExpiredStockIsBackInCirculationAfterARestart()
    {
        var settings = new Dictionary<string, string?> { ["Orders:PaymentTimeout"] = "00:01:00" };
        long saleId;
        await using (var first = new SeckillFactory(settings, _store))
        {
            saleId = (await first.CreateSaleAsync(stock: 3)).Id;
            var orders = new List<long>();
            foreach (var user in Enumerable.Range(1, 3))
            {
                using var buyer = first.ClientFor(user);
                orders.Add((await (await buyer.PurchaseAsync(saleId)).ReadPurchaseAsync()).OrderId);
            }
            using var one = first.ClientFor(1);
            await one.PostAsync($"/api/orders/{orders[0]}/cancel", null);
            using var two = first.ClientFor(2);
            await two.PostAsync($"/api/orders/{orders[1]}/pay", null);
        }

        await using var second = new SeckillFactory(settings, _store);
        var stock = await second.SettledStockAsync(saleId);
        Assert.Equal((2L, 1L, 1L), (stock.Sold, stock.Paid, stock.Cancelled));
        second.Clock.Advance(TimeSpan.FromMinutes(2));
        await Eventually.TrueAsync(async () => (await second.StockAsync(saleId)).Expired == 1, "the unpaid order to expire");
        stock = await second.SettledStockAsync(saleId);
        Assert.Equal((1L, 2L), (stock.Sold, stock.Pool + stock.Available));
    }
}
