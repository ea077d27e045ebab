using System.Net;
using Seckill.Web.Tests.Infrastructure;

namespace Seckill.Web.Tests.Clustered;

/// <summary>
/// Redis data belongs to one database: a MySQL database dropped and created again (a reset, a
/// restore) under a Redis that kept its data gets a new cluster identity, and the old keys, with
/// their stock, buyer marks and reservations, are never read for the new sales that reuse their ids.
/// </summary>
public sealed class ClusterIdentityTests
{
    [Fact]
    public async Task ASaleCreatedAfterTheDatabaseIsRecreatedUnderALiveRedisSellsItsWholeStock()
    {
        const int Stock = 30;
        using var store = new TestStore(StorageMode.Clustered);
        long firstSale;
        using (var before = new SeckillFactory(store: store))
        {
            firstSale = (await before.CreateSaleAsync(stock: Stock)).Id;
            // Buyers 1..20 hold orders and marks of sale 1; ten units are left in its keys.
            await Task.WhenAll(Enumerable.Range(1, 20).Select(async user =>
            {
                using var buyer = before.ClientFor(user);
                Assert.Equal(HttpStatusCode.Created, (await buyer.PurchaseAsync(firstSale)).StatusCode);
            }));
        }

        store.RecreateDatabase();

        using var after = new SeckillFactory(store: store);
        var sale = await after.CreateSaleAsync(stock: Stock);
        Assert.Equal(firstSale, sale.Id);
        // The same buyers and ten more: the first thirty get the thirty units.
        var answers = await Task.WhenAll(Enumerable.Range(1, Stock + 10).Select(async user =>
        {
            using var buyer = after.ClientFor(user);
            using var response = await buyer.PurchaseAsync(sale.Id);
            return response.StatusCode == HttpStatusCode.Created ? "created" : await response.ProblemCodeAsync();
        }));
        Assert.Equal(Stock, answers.Count(answer => answer == "created"));
        Assert.Equal(10, answers.Count(answer => answer == "sold_out"));
        var stock = await after.SettledStockAsync(sale.Id);
        Assert.Equal((Stock, 0L, 0L), (stock.Sold, stock.Pool, stock.Available));
    }
}
