using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Seckill.Web.Purchasing;
using Seckill.Web.Sales;
using Seckill.Web.Tests.Infrastructure;
using static Seckill.Web.Tests.Infrastructure.ProcessBuyers;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Seckill.Web.Tests.Clustered;

/// <summary>
/// The reclaim of a dead instance (Jobs/ReclaimJob) in the cases where it can go wrong: the
/// instance is not dead but cut off from the pool (split brain), it comes back after it was
/// reclaimed (restarted, or going on after standing still), or its shard's Redis died with it. Two real instances (processes) A (id 0) and B
/// (id 1), each with its own shard Redis, one pool Redis, one MariaDB.
/// </summary>
[Collection(ProcessClusters.Name)]
public sealed class ReclaimTests(ITestOutputHelper output)
{
    private const int A = 0;
    private const int B = 1;
    private static readonly TimeSpan ReclaimWithin = TimeSpan.FromSeconds(60);

    /// <summary>
    /// B loses the pool Redis (heartbeats, jobs, news) but still reaches its shard and MySQL: A
    /// takes it for dead and gives its stock to the pool. From the moment its shard is fenced, B
    /// must sell nothing more — else the units it still holds would be sold twice, once by B from
    /// its shard and once by A from the pool.
    /// </summary>
    [Fact]
    public async Task AnInstanceCutOffFromThePoolIsFencedOnItsShardAndTheSaleSellsExactlyItsStock()
    {
        const int stock = 1000;
        using var store = new TestStore(StorageMode.Clustered);
        using var shardB = new TestStore(StorageMode.Clustered);
        using var logs = new TempDirectory();
        using var poolLink = new TcpProxy(TestServers.Redis.Port);
        var settingsB = Settings(store, B, shardB.Settings["Redis:Shard"]!);
        settingsB["Redis:Pool"] = poolLink.Configuration(store.Settings["Redis:Pool"]!);
        var started = await Task.WhenAll(
            SeckillProcess.StartAsync(Settings(store, A, store.Settings["Redis:Shard"]!), logs.Path),
            SeckillProcess.StartAsync(settingsB, logs.Path));
        using var a = started[0];
        using var b = started[1];
        using var httpA = Client(a);
        using var httpB = Client(b);
        var sale = await StartSaleAsync(a, [httpA, httpB], stock);

        // Both sell a little; B keeps most of its warm-up share.
        var user = 0L;
        var acknowledged = new List<long>();
        acknowledged.AddRange(await WaveAsync([httpA, httpB], sale.Id, () => ++user, 50));
        var before = await a.StockAsync(sale.Id);
        output.WriteLine($"before the cut: {Describe(before)}");

        // B is cut off from the pool Redis, and its buyers keep coming: what it acknowledges now
        // (before its shard is fenced) is a sale like any other, and must be written.
        poolLink.Cut();
        var duringCut = await WaveAsync([httpB], sale.Id, () => ++user, 20, HttpStatusCode.ServiceUnavailable);
        acknowledged.AddRange(duringCut);
        output.WriteLine($"during the cut, before the reclaim was seen: B acknowledged {duringCut.Count} of 20");

        var reclaimed = await ReclaimedAsync(a, sale.Id, B);
        var fenced = reclaimed.Shards.Single(shard => shard.InstanceId == B);
        output.WriteLine($"B reclaimed: {Describe(reclaimed)}; connections refused to B by the cut: {poolLink.Refused}");
        // B's shard is still there and still holds stock: only the fence stops B from selling it.
        Assert.True(fenced.Reachable, "B's shard Redis should still answer (only the pool link is cut)");
        Assert.True(fenced.Available > 0, $"B's shard held no stock when it was fenced, so the test would show nothing: {fenced}");

        // From now on, every buyer of B is refused with 503 unavailable, though B reaches its shard.
        var refused = await Task.WhenAll(Enumerable.Range(0, 30).Select(async _ =>
        {
            var (status, orderId, code) = await BuyAsync(httpB, sale.Id, Interlocked.Increment(ref user));
            return (status, orderId, code);
        }));
        Assert.All(refused, answer => Assert.Equal((HttpStatusCode.ServiceUnavailable, 0L, "unavailable"), answer));

        // The sale sells out through A, B's stock included (back in the pool).
        await SellOutAsync([httpA], sale.Id, () => ++user, acknowledged);
        await AssertSoldOnceAsync(store, a, sale.Id, stock, acknowledged);
        // B, still cut off, still refuses.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await BuyAsync(httpB, sale.Id, ++user)).Status);

        // The link back: B rejoins (empty) and answers as any instance does, and nothing more is sold.
        poolLink.Restore();
        await Eventually.TrueAsync(async () => (await BuyAsync(httpB, sale.Id, ++user)).Code == "sold_out",
            "B to rejoin once the link is back and tell its buyers sold_out", ReclaimWithin);
        Assert.False(await IsReclaimedInRegistryAsync(store, B));
        Assert.Equal(stock, (await a.SettledStockAsync(sale.Id)).Sold);
    }

    /// <summary>
    /// B is killed with reservations only in its shard (the database held), reclaimed (they are
    /// written, its stock goes to the pool), then started again on the same shard Redis and id: it
    /// rejoins empty, is live and no longer reclaimed, and sells again from what the pool gives it.
    /// </summary>
    [Fact]
    public async Task AnInstanceRestartedAfterItWasReclaimedRejoinsEmptyAndSellsAgain()
    {
        const int stock = 300;
        using var store = new TestStore(StorageMode.Clustered);
        using var shardB = new TestStore(StorageMode.Clustered);
        using var logs = new TempDirectory();
        var settingsB = Settings(store, B, shardB.Settings["Redis:Shard"]!);
        var started = await Task.WhenAll(
            SeckillProcess.StartAsync(Settings(store, A, store.Settings["Redis:Shard"]!), logs.Path),
            SeckillProcess.StartAsync(settingsB, logs.Path));
        using var a = started[0];
        var b = started[1];
        using var httpA = Client(a);
        var user = 0L;
        var acknowledged = new List<long>();
        SaleResponse sale;
        using (var httpB = Client(b))
        {
            sale = await StartSaleAsync(a, [httpA, httpB], stock);
            // B's reservations stay in its shard only: the database takes no order of the sale until B is dead.
            var hold = store.HoldOrderWrites(sale.Id);
            try
            {
                acknowledged.AddRange(await WaveAsync([httpA, httpB], sale.Id, () => ++user, 60));
                b.Kill();
            }
            finally
            {
                hold.Dispose();
            }
        }
        b.Dispose();
        output.WriteLine($"wave 1: {acknowledged.Count} acknowledged; B killed with its reservations unwritten");

        var reclaimed = await ReclaimedAsync(a, sale.Id, B);
        output.WriteLine($"B reclaimed: {Describe(reclaimed)}");
        using (var db = store.OpenDatabase())
        {
            foreach (var row in db.Query("SELECT id, from_shard, to_shard, units, taken, created_at, landed_at FROM stock_moves WHERE sale_id = @Id ORDER BY id", new { sale.Id }))
            {
                output.WriteLine($"  move {row.id} {row.from_shard}->{row.to_shard} {row.units} taken {row.taken} created {row.created_at} landed {row.landed_at}");
            }
        }

        var died = reclaimed.Shards.Single(shard => shard.InstanceId == B);
        Assert.True(died.Available > 0, $"B's shard should hold stock when it died: {died}");

        // B again, same id, same shard Redis.
        using var b2 = await SeckillProcess.StartAsync(settingsB, logs.Path);
        using var httpB2 = Client(b2);
        var rejoined = (await b2.StockAsync(sale.Id)).Shards.Single(shard => shard.InstanceId == B);
        output.WriteLine($"B restarted: its shard {rejoined}");
        Assert.Equal((0L, 0L, true, false), (rejoined.Available, rejoined.Reserved, rejoined.Reachable, rejoined.Reclaimed));
        await SellsAgainThroughBAsync(store, a, httpA, httpB2, sale.Id, stock, () => ++user, acknowledged);
    }

    /// <summary>
    /// B stands still (SIGSTOP: a long GC pause, a starved machine) longer than
    /// <c>Cluster:DeadAfter</c>: A takes it for dead and reclaims it (its stock goes to the pool).
    /// Then B goes on. Without a restart it rejoins empty and sells again; it does not refuse its
    /// buyers (503 <c>unavailable</c>) for good.
    /// </summary>
    [Fact]
    public async Task AnInstanceReclaimedWhileItStoodStillRejoinsWhenItGoesOnAndSellsAgain()
    {
        const int stock = 300;
        using var store = new TestStore(StorageMode.Clustered);
        using var shardB = new TestStore(StorageMode.Clustered);
        using var logs = new TempDirectory();
        var started = await Task.WhenAll(
            SeckillProcess.StartAsync(Settings(store, A, store.Settings["Redis:Shard"]!), logs.Path),
            SeckillProcess.StartAsync(Settings(store, B, shardB.Settings["Redis:Shard"]!), logs.Path));
        using var a = started[0];
        using var b = started[1];
        using var httpA = Client(a);
        using var httpB = Client(b);
        var sale = await StartSaleAsync(a, [httpA, httpB], stock);
        var user = 0L;
        var acknowledged = new List<long>();
        try
        {
            // Both sell; B stands still once its orders are written (a transaction of B's left open
            // while it stands still would hold the sale's row, and the reclaim's writes with it).
            acknowledged.AddRange(await WaveAsync([httpA, httpB], sale.Id, () => ++user, 60));
            await b.SettledStockAsync(sale.Id);
            b.Pause();
            var reclaimed = await ReclaimedAsync(a, sale.Id, B);
            await Eventually.TrueAsync(() => IsReclaimedInRegistryAsync(store, B), "B's reclaim to finish (B marked reclaimed)", ReclaimWithin);
            output.WriteLine($"B reclaimed while it stood still: {Describe(reclaimed)}");
            Assert.True(reclaimed.Shards.Single(shard => shard.InstanceId == B).Available > 0, "B's shard should hold stock when it is reclaimed");

            // B goes on: refused (503 unavailable) until it has rejoined, then served.
            b.Resume();
            await Eventually.TrueAsync(async () =>
            {
                var (_, orderId, _) = await BuyAsync(httpB, sale.Id, ++user);
                if (orderId != 0)
                {
                    acknowledged.Add(orderId);
                }
                return orderId != 0;
            }, "B to sell again", ReclaimWithin);
            await b.LogShowsAsync("was reclaimed while this instance ran");
            Assert.False(await IsReclaimedInRegistryAsync(store, B));
            await SellsAgainThroughBAsync(store, a, httpA, httpB, sale.Id, stock, () => ++user, acknowledged);
        }
        catch
        {
            output.WriteLine($"A's log:\n{a.Log}\nB's log:\n{b.Log}");
            throw;
        }
    }

    /// <summary>
    /// B and its shard's Redis die together: the reclaim cannot reach the shard, so it gives back
    /// what the ledger says B holds. A sells the whole stock, no more. Orders B had written stay;
    /// reservations it held only in its lost Redis may be lost (README, durability) — not asserted.
    /// </summary>
    [Fact]
    public async Task AnInstanceWhoseShardRedisDiedWithItIsReclaimedFromTheLedger()
    {
        const int stock = 300;
        using var store = new TestStore(StorageMode.Clustered);
        using var shardRedisB = RedisServer.Start();
        using var logs = new TempDirectory();
        var started = await Task.WhenAll(
            SeckillProcess.StartAsync(Settings(store, A, store.Settings["Redis:Shard"]!), logs.Path),
            SeckillProcess.StartAsync(Settings(store, B, shardRedisB.Configuration()), logs.Path));
        using var a = started[0];
        using var b = started[1];
        using var httpA = Client(a);
        using var httpB = Client(b);
        var sale = await StartSaleAsync(a, [httpA, httpB], stock);

        var user = 0L;
        var acknowledgedByA = new List<long>();
        var acknowledgedByB = new List<long>();
        for (var i = 0; i < 60; i++)
        {
            var buyer = ++user;
            var (status, orderId, _) = await BuyAsync(buyer % 2 == 0 ? httpA : httpB, sale.Id, buyer);
            Assert.Contains(status, new[] { HttpStatusCode.Created, HttpStatusCode.Accepted });
            (buyer % 2 == 0 ? acknowledgedByA : acknowledgedByB).Add(orderId);
        }
        var held = (await a.StockAsync(sale.Id)).Shards.Single(shard => shard.InstanceId == B);
        Assert.True(held.Available > 0, $"B's shard should hold stock when it dies: {held}");
        var writtenByB = OrdersOf(store, sale.Id, shardId: B);
        b.Kill();
        shardRedisB.Kill();
        output.WriteLine($"B acknowledged {acknowledgedByB.Count}, {writtenByB.Count} of them written when B and its Redis were killed");

        await Eventually.TrueAsync(() => IsReclaimedInRegistryAsync(store, B), "B to be reclaimed (the registry's mark)", ReclaimWithin);
        var afterReclaim = await a.StockAsync(sale.Id);
        output.WriteLine($"B reclaimed: {Describe(afterReclaim)}");
        Assert.False(afterReclaim.Shards.Single(shard => shard.InstanceId == B).Reachable);

        await SellOutAsync([httpA], sale.Id, () => ++user, acknowledgedByA);
        var settled = await a.SettledStockAsync(sale.Id);
        output.WriteLine($"settled: {Describe(settled)}");
        Assert.Equal(stock, settled.Sold);
        Assert.Equal(0, settled.Pool + settled.Available);

        var active = ActiveOrders(store, sale.Id);
        var acknowledged = acknowledgedByA.Concat(acknowledgedByB).ToHashSet();
        var lost = acknowledgedByB.Where(id => !active.ContainsKey(id)).ToList();
        output.WriteLine($"active orders {active.Count}; B's acknowledged orders lost with its Redis: {lost.Count}");
        // Exactly the stock sold, each unit once, to distinct buyers, each order one somebody was told of.
        Assert.Equal(stock, active.Count);
        Assert.Equal(active.Count, active.Values.Distinct().Count());
        Assert.Subset(acknowledged, active.Keys.ToHashSet());
        // Every order A acknowledged, and every order B had written, is there.
        Assert.Subset(active.Keys.ToHashSet(), acknowledgedByA.ToHashSet());
        Assert.Subset(active.Keys.ToHashSet(), writtenByB.ToHashSet());
    }

    private static Dictionary<string, string?> Settings(TestStore store, int instanceId, string shard) => new(store.Settings)
    {
        ["Seckill:InstanceId"] = instanceId.ToString(CultureInfo.InvariantCulture),
        ["Redis:Shard"] = shard,
        ["Jobs:Rebalance"] = "* * * * * *",
        ["Jobs:Reclaim"] = "* * * * * *",
        ["Jobs:SchedulePollingInterval"] = "00:00:00.200",
        ["Cluster:DeadAfter"] = "00:00:02",
        ["Orders:ConfirmWaitMs"] = "0",
        // Static pre-allocation: no stock leaves a shard but through its buyers or the reclaim (with
        // the rebalance on, A may return an idle-looking B's stock to the pool first, timing-dependent),
        // so B surely holds stock when it is fenced or dies, which is what the reclaim is about.
        ["Allocation:Rebalance"] = "false",
    };


    /// <summary>Waits until both instances are live to each other and know a new sale of <paramref name="stock"/>.</summary>
    private static async Task<SaleResponse> StartSaleAsync(SeckillProcess a, HttpClient[] clients, int stock)
    {
        var probe = await a.CreateSaleAsync(1);
        await Eventually.TrueAsync(async () => (await a.StockAsync(probe.Id)).Shards.Count(shard => shard.Live) == 2,
            "the two instances to know each other");
        var sale = await a.CreateSaleAsync(stock);
        foreach (var client in clients)
        {
            await Eventually.TrueAsync(async () => (await client.GetAsync($"/api/sales/{sale.Id}")).StatusCode == HttpStatusCode.OK,
                "every instance to know the sale");
        }
        return sale;
    }

    /// <summary>Waits until A's stock report shows B's shard reclaimed (its fence is set).</summary>
    private static async Task<StockResponse> ReclaimedAsync(SeckillProcess a, long saleId, int instanceId)
    {
        StockResponse stock = null!;
        await Eventually.TrueAsync(async () =>
        {
            stock = await a.StockAsync(saleId);
            return stock.Shards.Any(shard => shard.InstanceId == instanceId && shard.Reclaimed);
        }, () => $"instance {instanceId}'s shard to be reclaimed; last seen {stock}", ReclaimWithin);
        return stock;
    }



    /// <summary>
    /// B back after its reclaim (rejoined): A sees it live and not reclaimed, B's buyers are served
    /// (it refills from the pool), and the sale sells out through both, each unit once.
    /// </summary>
    private async Task SellsAgainThroughBAsync(TestStore store, SeckillProcess a, HttpClient httpA, HttpClient httpB, long saleId, int stock,
        Func<long> nextUser, List<long> acknowledged)
    {
        await Eventually.TrueAsync(async () =>
            (await a.StockAsync(saleId)).Shards.Single(shard => shard.InstanceId == B) is { Live: true, Reachable: true, Reclaimed: false },
            "A to see B live again and not reclaimed", ReclaimWithin);
        var throughB = await WaveAsync([httpB], saleId, nextUser, 40);
        acknowledged.AddRange(throughB);
        Assert.Equal(40, throughB.Count);

        await SellOutAsync([httpA, httpB], saleId, nextUser, acknowledged);
        await AssertSoldOnceAsync(store, a, saleId, stock, acknowledged);
    }

    /// <summary>The whole stock sold, nothing left anywhere, one order per unit acknowledged.</summary>
    private async Task AssertSoldOnceAsync(TestStore store, SeckillProcess a, long saleId, int stock, List<long> acknowledged)
    {
        var settled = await a.SettledStockAsync(saleId);
        output.WriteLine($"settled: {Describe(settled)}");
        Assert.Equal(stock, settled.Sold);
        Assert.Equal(0, settled.Pool + settled.Available);
        Assert.Equal(stock, acknowledged.Count);
        AllocatorTests.AssertEachOrderOnce(store, saleId, acknowledged);
    }

    /// <summary>Waves of buyers until one acknowledges nothing.</summary>
    private async Task SellOutAsync(HttpClient[] clients, long saleId, Func<long> nextUser, List<long> acknowledged)
    {
        for (var wave = 0; wave < 30; wave++)
        {
            var bought = await WaveAsync(clients, saleId, nextUser, 300);
            acknowledged.AddRange(bought);
            output.WriteLine($"sell-out wave {wave}: {bought.Count} acknowledged");
            if (bought.Count == 0)
            {
                return;
            }
        }
        Assert.Fail("the sale did not sell out in 30 waves");
    }

    /// <summary>Whether the pool's registry marks the instance reclaimed (hash <c>reclaimed</c>, under the cluster's prefix).</summary>
    private static async Task<bool> IsReclaimedInRegistryAsync(TestStore store, int instanceId)
    {
        var config = ConfigurationOptions.Parse(store.Settings["Redis:Pool"]!);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(config);
        var database = redis.GetDatabase();
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        await foreach (var key in server.KeysAsync(database.Database, "seckill:*:reclaimed"))
        {
            if (await database.HashExistsAsync(key, instanceId))
            {
                return true;
            }
        }
        return false;
    }

    private static List<long> OrdersOf(TestStore store, long saleId, int shardId)
    {
        using var connection = store.OpenDatabase();
        return connection.Query<long>(
            "SELECT id FROM orders WHERE sale_id = @saleId AND shard_id = @shardId AND status IN ('awaiting_payment', 'paid')",
            new { saleId, shardId }).ToList();
    }

    /// <summary>Active orders of the sale: order id → user id.</summary>
    private static Dictionary<long, long> ActiveOrders(TestStore store, long saleId)
    {
        using var connection = store.OpenDatabase();
        return connection.Query<(long Id, long UserId)>(
            "SELECT id, user_id FROM orders WHERE sale_id = @saleId AND status IN ('awaiting_payment', 'paid')", new { saleId })
            .ToDictionary(order => order.Id, order => order.UserId);
    }

    private static string Describe(StockResponse stock) =>
        $"{stock with { Shards = [] }}; shards: {string.Join(", ", stock.Shards)}";
}
