using System.Collections.Concurrent;
using System.Data.Common;
using System.Net;
using Dapper;
using Seckill.Web.Orders;
using Seckill.Web.Sales;
using Seckill.Web.Stock;
using Seckill.Web.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Seckill.Web.Tests.Clustered;

/// <summary>
/// The crashes a real sale brings, in clustered mode against real servers (ARCHITECTURE §4):
/// the instance killed with reservations not yet written, the shard Redis restarted, MySQL away.
/// Each compares what buyers were told with what MySQL holds at the end.
/// </summary>
public sealed class RecoveryTests(ITestOutputHelper output)
{
    /// <summary>Races <paramref name="users"/> distinct buyers at once; returns user → (status, order id if acknowledged).</summary>
    private static async Task<ConcurrentDictionary<long, (HttpStatusCode Status, long OrderId)>> RaceAsync(
        Func<long, HttpClient> clientFor, long saleId, IEnumerable<long> users)
    {
        var answers = new ConcurrentDictionary<long, (HttpStatusCode, long)>();
        await Task.WhenAll(users.Select(async user =>
        {
            using var buyer = clientFor(user);
            using var response = await buyer.PurchaseAsync(saleId);
            var orderId = response.StatusCode is HttpStatusCode.Created or HttpStatusCode.Accepted ? (await response.ReadPurchaseAsync()).OrderId : 0;
            answers[user] = (response.StatusCode, orderId);
        }));
        return answers;
    }

    private static IReadOnlyDictionary<long, (long UserId, string Status)> ActiveOrders(DbConnection db, long saleId) =>
        db.Query<(long Id, long UserId, string Status)>(
                "SELECT id, user_id, status FROM orders WHERE sale_id = @saleId AND status IN ('awaiting_payment', 'paid')", new { saleId })
            .ToDictionary(row => row.Id, row => (row.UserId, row.Status));

    /// <summary>Every acknowledged order is in MySQL as its buyer's, there is nothing else, and no user has two.</summary>
    private static void AssertOrdersMatchAnswers(DbConnection db, long saleId, IEnumerable<(long User, long OrderId)> acknowledged, int stock)
    {
        var active = ActiveOrders(db, saleId);
        var told = acknowledged.ToList();
        foreach (var (user, orderId) in told)
        {
            Assert.True(active.TryGetValue(orderId, out var row), $"acknowledged order {orderId} of user {user} is not in MySQL");
            Assert.Equal(user, row.UserId);
        }
        Assert.Equal(told.Count, active.Count);
        Assert.Equal(active.Count, active.Values.Select(row => row.UserId).Distinct().Count());
        Assert.True(active.Count <= stock);
    }

    [Fact]
    public async Task AnInstanceKilledBetweenReservationAndCommitReplaysEveryAcknowledgedOrderAtItsNextStart()
    {
        const int Stock = 300;
        using var store = new TestStore(StorageMode.Clustered);
        var settings = new Dictionary<string, string?>(store.Settings) { ["Orders:ConfirmWaitMs"] = "50" };
        var first = await SeckillProcess.StartAsync(settings, store.DataDirectory);
        var sale = await first.CreateSaleAsync(Stock);

        // Some orders commit normally.
        var committed = await RaceAsync(user => first.ClientFor(user), sale.Id, Enumerable.Range(1, 50).Select(u => (long)u));
        await first.SettledStockAsync(sale.Id);

        // Then MySQL holds the sale's row: the writer cannot commit, buyers are told 202.
        StockResponse atKill;
        ConcurrentDictionary<long, (HttpStatusCode Status, long OrderId)> queued;
        using (store.HoldOrderWrites(sale.Id))
        {
            queued = await RaceAsync(user => first.ClientFor(user), sale.Id, Enumerable.Range(51, 2_000).Select(u => (long)u));
            atKill = await first.StockAsync(sale.Id);
            first.Kill();
        }
        var accepted = queued.Count(a => a.Value.Status == HttpStatusCode.Accepted);
        using var db = store.OpenDatabase();
        var inMySqlAfterKill = ActiveOrders(db, sale.Id).Count;
        Assert.Equal(Stock - 50, accepted);
        Assert.Equal(Stock - 50, atKill.Reserved);
        Assert.Equal(50, inMySqlAfterKill);

        // The next start replays the shard's unconfirmed reservations before it serves.
        using var second = await SeckillProcess.StartAsync(settings, store.DataDirectory);
        var acknowledged = committed.Concat(queued)
            .Where(a => a.Value.Status is HttpStatusCode.Created or HttpStatusCode.Accepted)
            .Select(a => (a.Key, a.Value.OrderId)).ToList();
        AssertOrdersMatchAnswers(db, sale.Id, acknowledged, Stock);
        var stock = await second.SettledStockAsync(sale.Id);
        Assert.Equal((Stock, 0L, 0L), ((int)stock.Sold, stock.Pool, stock.Available));

        // A replayed buyer still holds their order: no second one.
        using var again = second.ClientFor(queued.First(a => a.Value.Status == HttpStatusCode.Accepted).Key);
        Assert.Equal("already_purchased", await (await again.PurchaseAsync(sale.Id)).ProblemCodeAsync());
        output.WriteLine($"reserved at the kill {atKill.Reserved}, in MySQL after the kill {inMySqlAfterKill}, " +
            $"acknowledged {acknowledged.Count} (201: {acknowledged.Count - accepted}, 202: {accepted}), after restart sold {stock.Sold} of {Stock}");
    }

    [Fact]
    public async Task TheShardRedisRestartingKeepsReservationsAndStockAndTheInstanceReconnects()
    {
        const int Stock = 100;
        using var shardRedis = RedisServer.Start(fsync: "always");
        using var store = new TestStore(StorageMode.Clustered);
        using var factory = new SeckillFactory(new Dictionary<string, string?>
        {
            ["Redis:Shard"] = shardRedis.Configuration(),
            ["Orders:ConfirmWaitMs"] = "50",
        }, store);
        var sale = await factory.CreateSaleAsync(stock: Stock);
        var before = await RaceAsync(user => factory.ClientFor(user), sale.Id, Enumerable.Range(1, 30).Select(u => (long)u));
        await factory.SettledStockAsync(sale.Id);

        ConcurrentDictionary<long, (HttpStatusCode Status, long OrderId)> queued;
        using (store.HoldOrderWrites(sale.Id))
        {
            queued = await RaceAsync(user => factory.ClientFor(user), sale.Id, Enumerable.Range(31, 20).Select(u => (long)u));
            Assert.All(queued.Values, a => Assert.Equal(HttpStatusCode.Accepted, a.Status));

            // SIGKILL and start again: what is left is what the AOF (fsync always) kept.
            shardRedis.Restart();
            IReadOnlyList<Reservation> unconfirmed = [];
            await Eventually.TrueAsync(async () =>
            {
                try
                {
                    unconfirmed = await factory.Get<IStockShard>().ListUnconfirmedAsync();
                    return true;
                }
                catch (StockUnavailableException)
                {
                    return false; // reconnecting
                }
            }, "the instance to reconnect to the restarted shard Redis");
            Assert.Equal(queued.Values.Select(a => a.OrderId).Order(), unconfirmed.Select(r => r.OrderId).Order());
        }

        // The held writes commit, their confirmations reach the restarted Redis, and the rest sells.
        var settled = await factory.SettledStockAsync(sale.Id);
        Assert.Equal(50, settled.Sold);
        var after = await RaceAsync(user => factory.ClientFor(user), sale.Id, Enumerable.Range(100, 80).Select(u => (long)u));
        Assert.Equal(50, after.Count(a => a.Value.Status is HttpStatusCode.Created or HttpStatusCode.Accepted));
        var final = await factory.SettledStockAsync(sale.Id);
        Assert.Equal((Stock, 0L, 0L), ((int)final.Sold, final.Pool, final.Available));
        Assert.Empty(await factory.Get<IStockShard>().ListUnconfirmedAsync());

        using var db = store.OpenDatabase();
        AssertOrdersMatchAnswers(db, sale.Id, before.Concat(queued).Concat(after)
            .Where(a => a.Value.Status is HttpStatusCode.Created or HttpStatusCode.Accepted).Select(a => (a.Key, a.Value.OrderId)), Stock);
    }

    [Fact]
    public async Task WhileMySqlIsAwayPurchasesAreAcknowledgedFromRedisAndTheWriterDrainsWhenItReturns()
    {
        const int Stock = 200;
        using var mysql = MariaDbServer.Create();
        using var store = new TestStore(StorageMode.Clustered);
        using var factory = new SeckillFactory(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Mysql"] = mysql.CreateDatabase(),
            ["Orders:ConfirmWaitMs"] = "100",
        }, store);
        var sale = await factory.CreateSaleAsync(stock: Stock);
        using var probe = factory.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await probe.GetAsync("/health/ready")).StatusCode);

        mysql.Stop();
        var writer = factory.Get<OrderWriter>();
        var during = await RaceAsync(user => factory.ClientFor(user), sale.Id, Enumerable.Range(1, 150).Select(u => (long)u));
        Assert.All(during.Values, a => Assert.Equal(HttpStatusCode.Accepted, a.Status));
        var ready = await probe.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("orders-db", (await ready.ProblemAsync()).GetProperty("detail").GetString());
        // Away long enough for the writer to have failed and backed off several times.
        await Eventually.TrueAsync(() => Task.FromResult(writer.Retries >= 6), "the writer to retry with backoff");
        var retriesWhileAway = writer.Retries;

        mysql.Start();
        await Eventually.TrueAsync(async () => (await factory.StockAsync(sale.Id)).Sold == 150, "the writer to drain", TimeSpan.FromSeconds(60));
        var stock = await factory.SettledStockAsync(sale.Id);
        Assert.Equal((150L, 150L), (stock.Sold, stock.AwaitingPayment));
        using var db = mysql.Open(new MySqlConnector.MySqlConnectionStringBuilder(factory.Get<Microsoft.Extensions.Options.IOptions<Seckill.Web.Storage.ClusteredStorageOptions>>().Value.Mysql!).Database);
        AssertOrdersMatchAnswers(db, sale.Id, during.Select(a => (a.Key, a.Value.OrderId)), Stock);
        output.WriteLine($"acknowledged while MySQL was away: {during.Count} (all 202); writer retries: {retriesWhileAway}; drained: {stock.Sold}");
    }

    /// <summary>
    /// Overload control sheds buyers while the order writer is slow (OverloadTests), but a writer
    /// retrying because MySQL is away is not slow: buyers are still acknowledged from Redis, as in
    /// the test above, however long the oldest queued order has waited.
    /// </summary>
    [Fact]
    public async Task WithOverloadControlOnAWriterWaitingForMySqlStillAcknowledgesBuyers()
    {
        using var mysql = MariaDbServer.Create();
        using var store = new TestStore(StorageMode.Clustered);
        using var factory = new SeckillFactory(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Mysql"] = mysql.CreateDatabase(),
            ["Orders:ConfirmWaitMs"] = "0",
            ["Overload:Enabled"] = "true",
            ["Overload:MaxOrderWaitMs"] = "200",
            // The thread pool's own overload signal is not what this is about: a busy test machine
            // must not shed here.
            ["Overload:TargetDelayMs"] = "10000",
        }, store);
        var sale = await factory.CreateSaleAsync(stock: 100);

        mysql.Stop();
        var writer = factory.Get<OrderWriter>();
        using var firstBuyer = factory.ClientFor(1);
        using var first = await firstBuyer.PurchaseAsync(sale.Id);
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        var firstOrder = (await first.ReadPurchaseAsync()).OrderId;
        // The writer has failed, and the first order has waited past the bound.
        await Eventually.TrueAsync(() => Task.FromResult(writer.Retries >= 1 && writer.TryGetPending(firstOrder, out var pending)
            && System.Diagnostics.Stopwatch.GetElapsedTime(pending.QueuedAt) > TimeSpan.FromMilliseconds(300)), "the writer to fail and the first order to wait");

        var during = await RaceAsync(user => factory.ClientFor(user), sale.Id, Enumerable.Range(2, 50).Select(u => (long)u));
        Assert.All(during.Values, a => Assert.Equal(HttpStatusCode.Accepted, a.Status));

        mysql.Start();
        await Eventually.TrueAsync(async () => (await factory.StockAsync(sale.Id)).Sold == 51, "the writer to drain", TimeSpan.FromSeconds(60));
    }
}

