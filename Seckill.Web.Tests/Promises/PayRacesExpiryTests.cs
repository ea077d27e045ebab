using System.Net;
using Seckill.Web.Orders;
using Seckill.Web.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Seckill.Web.Tests.Promises;

public sealed class PayRacesExpiryTests(ITestOutputHelper output) : IDisposable
{
    private const int Orders = 300;

    // The job is driven by the test here, not by its timer.
    private readonly SeckillFactory _factory = new(new Dictionary<string, string?>
    {
        ["Orders:PaymentTimeout"] = "00:05:00",
        ["Jobs:Expire"] = "0 0 31 2 *",
    });

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task UnitsTheJobExpiresSellAgainToTheirBuyersAndToThoseToldSoldOut()
    {
        const int Stock = 3;
        var sale = await _factory.CreateSaleAsync(stock: Stock);
        var buyers = Enumerable.Range(1, Stock + 1).Select(user => _factory.ClientFor(user)).ToList();
        foreach (var buyer in buyers.Take(Stock))
        {
            Assert.Equal(HttpStatusCode.Created, (await buyer.PurchaseAsync(sale.Id)).StatusCode);
        }
        await _factory.SettledStockAsync(sale.Id);
        Assert.Equal("sold_out", await (await buyers[Stock].PurchaseAsync(sale.Id)).ProblemCodeAsync());

        _factory.Clock.Advance(TimeSpan.FromMinutes(6));
        Assert.Equal(Stock, await _factory.Get<OrderLifecycle>().ExpireDueAsync(CancellationToken.None));

        // The first buyer may buy again (their mark went with their order), and so may the one told
        // sold_out (the sale's flag dropped): both take one of the units that came back.
        Assert.Equal(HttpStatusCode.Created, (await buyers[0].PurchaseAsync(sale.Id)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await buyers[Stock].PurchaseAsync(sale.Id)).StatusCode);
        var stock = await _factory.SettledStockAsync(sale.Id);
        Assert.Equal((2L, 3L, 1L), (stock.Sold, stock.Expired, stock.Pool + stock.Available));
        foreach (var buyer in buyers)
        {
            buyer.Dispose();
        }
    }

    [Fact]
    public async Task EachOrderIsEitherPaidOrExpiredNeverBoth()
    {
        var sale = await _factory.CreateSaleAsync(stock: Orders);
        var buyers = Enumerable.Range(1, Orders).Select(user => _factory.ClientFor(user)).ToList();
        // All bought within the same few milliseconds: their deadlines fall together.
        var orderIds = await Task.WhenAll(buyers.Select(async buyer => (await (await buyer.PurchaseAsync(sale.Id)).ReadPurchaseAsync()).OrderId));
        await _factory.SettledStockAsync(sale.Id);

        var lifecycle = _factory.Get<OrderLifecycle>();
        // A third pay in time; a half pay late, racing expiry jobs that run at the same time; the
        // rest never pay, so the job surely expires some whatever the scheduling. (Payments are
        // batched: on time they can all land before the clock is moved, so each side is made to run.)
        const int OnTime = Orders / 3, Late = Orders / 2;
        _factory.Clock.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromSeconds(30));
        var responses = new HttpResponseMessage?[Orders];
        await Task.WhenAll(Enumerable.Range(0, OnTime).Select(async i => responses[i] = await buyers[i].PostAsync($"/api/orders/{orderIds[i]}/pay", null)));
        _factory.Clock.Advance(TimeSpan.FromMinutes(1));
        var pays = Enumerable.Range(OnTime, Late).Select(i => Task.Run(async () =>
            responses[i] = await buyers[i].PostAsync($"/api/orders/{orderIds[i]}/pay", null))).ToList();
        var expiries = Enumerable.Range(0, 4).Select(_ => Task.Run(() => lifecycle.ExpireDueAsync(CancellationToken.None))).ToList();
        await Task.WhenAll(pays);
        var expiredByJob = (await Task.WhenAll(expiries)).Sum();
        expiredByJob += await lifecycle.ExpireDueAsync(CancellationToken.None);

        var paid = 0;
        var expired = 0;
        for (var i = 0; i < Orders; i++)
        {
            var order = await _factory.OrderAsync(orderIds[i]);
            if (responses[i]?.StatusCode == HttpStatusCode.OK)
            {
                Assert.Equal("paid", order.Status);
                paid++;
            }
            else
            {
                if (responses[i] is { } refused)
                {
                    Assert.Equal("expired", await refused.ProblemCodeAsync());
                }
                Assert.Equal("expired", order.Status);
                expired++;
            }
        }
        output.WriteLine($"{Orders} orders: {paid} paid, {expired} expired ({expiredByJob} by the job, the rest by a late payment)");
        // Both sides really ran: payments won, and the job expired orders while late payments were arriving.
        Assert.True(paid >= OnTime && expiredByJob >= Orders - OnTime - Late, $"paid {paid}, expired by the job {expiredByJob}");
        var stock = await _factory.SettledStockAsync(sale.Id);
        Assert.Equal((paid, expired, paid), ((int)stock.Paid, (int)stock.Expired, (int)stock.Sold));
        Assert.Equal(expired, stock.Pool + stock.Available);
        foreach (var buyer in buyers)
        {
            buyer.Dispose();
        }
    }
}
