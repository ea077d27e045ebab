using System.Net;
using Seckill.Web.Cluster;
using Seckill.Web.Tests.Infrastructure;

namespace Seckill.Web.Tests.Promises;

/// <summary>
/// A running instance does not keep the buyers' marks of the sales it sold for as long as it
/// runs: once a sale has ended (and <c>Gate:EndedSaleMarksKept</c> passed), its marks leave the
/// shard, and those of running sales stay.
/// </summary>
public sealed class EndedSaleMarksTests : IDisposable
{
    private readonly TestStore _store = new();

    public void Dispose() => _store.Dispose();

    [Fact]
    public async Task AnEndedSalesMarksLeaveTheShardARunningSalesStay()
    {
        await using var factory = new SeckillFactory(new Dictionary<string, string?> { ["Gate:EndedSaleMarksKept"] = "00:00:00" }, _store);
        var runningId = (await factory.CreateSaleAsync(stock: 10, lasts: TimeSpan.FromHours(2))).Id;
        var endingId = (await factory.CreateSaleAsync(stock: 10, lasts: TimeSpan.FromMinutes(1))).Id;
        foreach (var user in new[] { 1L, 2L })
        {
            using var buyer = factory.ClientFor(user);
            Assert.Equal(HttpStatusCode.Created, (await buyer.PurchaseAsync(runningId)).StatusCode);
            Assert.Equal(HttpStatusCode.Created, (await buyer.PurchaseAsync(endingId)).StatusCode);
        }
        var shard = factory.Get<IShardRouter>().Local;
        Assert.Equal(2, await shard.CountBuyersAsync(endingId));

        // The sale ends; the next sale refresh (every 30 s of the service's clock) drops its marks:
        // from the shard's store first, then from the instance's memory, so both are waited for.
        factory.Clock.Advance(TimeSpan.FromMinutes(2));
        await Eventually.TrueAsync(
            async () => await shard.CountBuyersAsync(endingId) == 0 && !shard.TryGetKnownOrder(endingId, 1, out _) && !shard.TryGetKnownOrder(endingId, 2, out _),
            "the ended sale's marks to leave the shard and the instance's memory");
        Assert.Equal([1L, 2L], (await shard.ListBuyersAsync(runningId)).Keys.Order());
        Assert.True(shard.TryGetKnownOrder(runningId, 1, out _));

        // The running sale's buyers still cannot buy twice; the ended sale refuses everyone, and
        // its orders and units are as they were.
        using var again = factory.ClientFor(1);
        Assert.Equal("already_purchased", await (await again.PurchaseAsync(runningId)).ProblemCodeAsync());
        Assert.Equal("ended", await (await again.PurchaseAsync(endingId)).ProblemCodeAsync());
        var ended = await factory.SettledStockAsync(endingId);
        Api.AssertConserved(ended);
        Assert.Equal(2, ended.Sold);
    }
}
