using System.Net;
using Seckill.Web.Tests.Infrastructure;

namespace Seckill.Web.Tests.Promises;

/// <summary>
/// Right after a sale sells out, its winners pay at once. Payments wait for one of
/// <c>Orders:PaymentConcurrency</c> database slots; with a single slot, a burst of payments and
/// cancellations must still all be served, each exactly once, and the stock must add up.
/// </summary>
public sealed class PaymentBurstTests
{
    [Fact]
    public async Task ABurstOfPaymentsAndCancellationsThroughOneSlotIsServedInFull()
    {
        const int Buyers = 600;
        using var factory = new SeckillFactory(new Dictionary<string, string?> { ["Orders:PaymentConcurrency"] = "1" });
        var sale = await factory.CreateSaleAsync(stock: Buyers);
        var orders = await Task.WhenAll(Enumerable.Range(1, Buyers).Select(async user =>
        {
            var buyer = factory.ClientFor(user);
            var response = await buyer.PurchaseAsync(sale.Id);
            Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.Accepted);
            return (Buyer: buyer, (await response.ReadPurchaseAsync()).OrderId, Pays: user % 3 != 0);
        }));
        await factory.SettledStockAsync(sale.Id);

        // Everyone at once, twice over (a double click): payments and cancellations are repeatable.
        var answers = await Task.WhenAll(orders.Concat(orders).Select(o =>
            o.Buyer.PostAsync($"/api/orders/{o.OrderId}/{(o.Pays ? "pay" : "cancel")}", null)));
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));

        var stock = await factory.SettledStockAsync(sale.Id);
        var paying = orders.Count(o => o.Pays);
        Assert.Equal((paying, Buyers - paying, (long)paying), (stock.Paid, stock.Cancelled, stock.Sold));
        Api.AssertConserved(stock);
    }
}
