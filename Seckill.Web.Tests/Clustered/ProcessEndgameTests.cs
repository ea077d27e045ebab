using System.Net;
using Seckill.Web.Tests.Infrastructure;
using static Seckill.Web.Tests.Infrastructure.ProcessBuyers;

namespace Seckill.Web.Tests.Clustered;

/// <summary>
/// Three real instances (processes), each with its own shard Redis, one pool Redis, one MariaDB:
/// orders of several units are filled when the stock is scattered so that no shard holds enough,
/// and the last units sell (ARCHITECTURE §3, the end game).
/// </summary>
[Collection(ProcessClusters.Name)]
public sealed class ProcessEndgameTests
{
    [Fact]
    public async Task OrdersOfSeveralUnitsAreFilledFromStockScatteredOverThreeProcesses()
    {
        using var store = new TestStore(StorageMode.Clustered);
        using var shard1 = new TestStore(StorageMode.Clustered);
        using var shard2 = new TestStore(StorageMode.Clustered);
        using var logs = new TempDirectory();
        IReadOnlyDictionary<string, string?> Settings(int id, TestStore shard) => SeckillProcess.InstanceSettings(store, id, shard, new Dictionary<string, string?>
        {
            ["Jobs:Rebalance"] = "* * * * * *",
            ["Gate:SaleRefreshInterval"] = "00:00:00.200",
            // Everything on the shards at once, and no end game on size alone: 6 units left would
            // otherwise be gathered on one shard by the first periodic run, and none would be short.
            ["Allocation:ReserveRatio"] = "0",
            ["Allocation:EndgameThreshold"] = "0",
        });
        var started = await Task.WhenAll(
            SeckillProcess.StartAsync(Settings(0, store), logs.Path),
            SeckillProcess.StartAsync(Settings(1, shard1), logs.Path),
            SeckillProcess.StartAsync(Settings(2, shard2), logs.Path));
        using var p0 = started[0];
        using var p1 = started[1];
        using var p2 = started[2];
        await p0.KnowsLiveShardsAsync(3);

        var sale = await p0.CreateSaleAsync(6, perUserLimit: 3);
        using var http0 = Client(p0);
        using var http1 = Client(p1);
        using var http2 = Client(p2);
        foreach (var client in new[] { http0, http1, http2 })
        {
            await Eventually.TrueAsync(async () => (await client.GetAsync($"/api/sales/{sale.Id}")).StatusCode == HttpStatusCode.OK,
                "every instance to know the sale");
        }
        Assert.All((await p0.StockAsync(sale.Id)).Shards, shard => Assert.Equal(2, shard.Available));

        // Three units each at two instances whose shards hold two: both filled from the others.
        var first = await BuyAsync(http0, sale.Id, user: 100, quantity: 3);
        var second = await BuyAsync(http1, sale.Id, user: 101, quantity: 3);
        var third = await BuyAsync(http2, sale.Id, user: 102);

        Assert.Contains(first.Status, new[] { HttpStatusCode.Created, HttpStatusCode.Accepted });
        Assert.Contains(second.Status, new[] { HttpStatusCode.Created, HttpStatusCode.Accepted });
        Assert.Equal((HttpStatusCode.Conflict, "sold_out"), (third.Status, third.Code));
        var settled = await p0.SettledStockAsync(sale.Id);
        Assert.Equal((6L, 0L, 0L), (settled.Sold, settled.Pool, settled.Available));
        AllocatorTests.AssertEachOrderOnce(store, sale.Id, [first.OrderId, second.OrderId]);
    }
}
