using System.Net;
using Seckill.Web.Cluster;
using Seckill.Web.Orders;
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

    /// <summary>
    /// A start gives back the buyers' marks of the sales still running, not those of ended ones: an
    /// ended sale takes no purchase, and a shard that had sold many sales held all their buyers.
    /// </summary>
    [Fact]
    public async Task AStartRestoresTheBuyersOfRunningSalesOnly()
    {
        long runningId, endedId;
        await using (var first = new SeckillFactory(store: _store))
        {
            runningId = (await first.CreateSaleAsync(stock: 10)).Id;
            endedId = (await first.CreateSaleAsync(stock: 10)).Id;
            foreach (var user in new[] { 1L, 2L })
            {
                using var buyer = first.ClientFor(user);
                Assert.Equal(HttpStatusCode.Created, (await buyer.PurchaseAsync(runningId)).StatusCode);
                Assert.Equal(HttpStatusCode.Created, (await buyer.PurchaseAsync(endedId)).StatusCode);
            }
            using var admin = first.Admin();
            Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/admin/sales/{endedId}/end", null)).StatusCode);
        }

        await using var second = new SeckillFactory(store: _store);
        await Eventually.TrueAsync(() => Task.FromResult(second.Get<ShardRecovery>().Completed > 0), "the start's recovery to complete");
        var shard = second.Get<IShardRouter>().Local;
        Assert.Equal([1L, 2L], (await shard.ListBuyersAsync(runningId)).Keys.Order());
        Assert.Empty(await shard.ListBuyersAsync(endedId));
        Assert.False(shard.TryGetKnownOrder(endedId, 1, out _));
        // The running sale's buyers still cannot buy twice; the ended sale refuses everyone.
        using var again = second.ClientFor(1);
        Assert.Equal("already_purchased", await (await again.PurchaseAsync(runningId)).ProblemCodeAsync());
        Assert.Equal("ended", await (await again.PurchaseAsync(endedId)).ProblemCodeAsync());
        // Both sales' units are where the ledger says.
        Api.AssertConserved(await second.SettledStockAsync(runningId));
        var ended = await second.SettledStockAsync(endedId);
        Api.AssertConserved(ended);
        Assert.Equal(2, ended.Sold);
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
