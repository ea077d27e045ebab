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
    public async Task EachOrderIsEitherPaidOrExpiredNeverBoth()
    {
        var sale = await _factory.CreateSaleAsync(stock: Orders);
        var buyers = Enumerable.Range(1, Orders).Select(user => _factory.ClientFor(user)).ToList();
        // All bought within the same few milliseconds: their deadlines fall together.
        var orderIds = await Task.WhenAll(buyers.Select(async buyer => (await (await buyer.PurchaseAsync(sale.Id)).ReadPurchaseAsync()).OrderId));
        await _factory.SettledStockAsync(sale.Id);

        var lifecycle = _factory.Get<OrderLifecycle>();
        // 30 s before the deadline: a margin no slow machine eats up before the first payments land.
        _factory.Clock.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromSeconds(30));
        var done = 0;
        var quarterDone = new TaskCompletionSource();
        var pays = buyers.Select((buyer, i) => Task.Run(async () =>
        {
            var response = await buyer.PostAsync($"/api/orders/{orderIds[i]}/pay", null);
            if (Interlocked.Increment(ref done) == Orders / 4)
            {
                quarterDone.SetResult();
            }
            return response;
        })).ToList();
        // The deadline passes while payments are still in flight, and expiry runs against them.
        await quarterDone.Task;
        _factory.Clock.Advance(TimeSpan.FromMinutes(1));
        var expiries = Enumerable.Range(0, 4).Select(_ => Task.Run(() => lifecycle.ExpireDueAsync(CancellationToken.None))).ToList();
        var responses = await Task.WhenAll(pays);
        var expiredByJob = (await Task.WhenAll(expiries)).Sum();
        expiredByJob += await lifecycle.ExpireDueAsync(CancellationToken.None);

        var paid = 0;
        var expired = 0;
        for (var i = 0; i < Orders; i++)
        {
            var order = await _factory.OrderAsync(orderIds[i]);
            if (responses[i].StatusCode == HttpStatusCode.OK)
            {
                Assert.Equal("paid", order.Status);
                paid++;
            }
            else
            {
                Assert.Equal("expired", await responses[i].ProblemCodeAsync());
                Assert.Equal("expired", order.Status);
                expired++;
            }
        }
        output.WriteLine($"{Orders} orders: {paid} paid, {expired} expired ({expiredByJob} by the job, the rest by a late payment)");
        // Both sides of the race really ran: some payments won, and the job expired orders
        // while the remaining payments were still arriving.
        Assert.True(paid > 0 && expiredByJob > 0, $"paid {paid}, expired by the job {expiredByJob}");
        var stock = await _factory.SettledStockAsync(sale.Id);
        Assert.Equal((paid, expired, paid), ((int)stock.Paid, (int)stock.Expired, (int)stock.Sold));
        Assert.Equal(expired, stock.Pool + stock.Available);
        foreach (var buyer in buyers)
        {
            buyer.Dispose();
        }
    }
}
