using System.Net;
using Seckill.Web.Allocation;
using Seckill.Web.Tests.Infrastructure;

namespace Seckill.Web.Tests.Promises;

/// <summary>
/// The crowd that finds the stock gone is refused together: buyers queued behind a refill that
/// found nothing take its answer instead of each asking the pool and the other shards again (one
/// after the other, which kept a sold-out sale's buyers waiting for seconds).
/// </summary>
public sealed class SoldOutCrowdTests : IDisposable
{
    private const int Buyers = 2_000;

    private readonly SeckillFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task BuyersWhoFindTheStockGoneShareTheRefillThatFoundNothing()
    {
        var sale = await _factory.CreateSaleAsync(stock: 100);
        var outcomes = await _factory.CrowdAsync(sale.Id, Buyers);

        Assert.Equal(100, outcomes.Count(o => o is nameof(HttpStatusCode.Created) or nameof(HttpStatusCode.Accepted)));
        Assert.Equal(Buyers - 100, outcomes.Count(o => o == "sold_out"));
        var stock = await _factory.SettledStockAsync(sale.Id);
        Assert.Equal((100L, 0L, 0L), (stock.Sold, stock.Pool, stock.Available));
        // Each refill that finds nothing answers every buyer who looked before it began; one buyer's
        // second look then marks the sale sold out. A few generations at most, not one per buyer.
        var emptyRefills = _factory.Get<Allocator>().For(sale.Id).EmptyRefills;
        Assert.True(emptyRefills <= 10, $"{emptyRefills} refills found nothing for {Buyers - 100} refused buyers");
    }
}
