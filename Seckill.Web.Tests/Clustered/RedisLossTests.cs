using System.Collections.Concurrent;
using System.Net;
using Dapper;
using Seckill.Web.Orders;
using Seckill.Web.Sales;
using Seckill.Web.Stock;
using Seckill.Web.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Seckill.Web.Tests.Clustered;

/// <summary>
/// A shard or pool Redis that comes back from a SIGKILL without its last writes, as one with
/// <c>appendfsync everysec</c> does when its host dies or its disk was slow: MySQL kept the orders
/// of the last second, the Redis came back with counters from before them. Every round is a sale
/// of its own on the same instance and Redis servers; the promises are checked after each.
/// </summary>
public sealed class RedisLossTests(ITestOutputHelper output)
{
    private const int Rounds = 20;
    private const int Stock = 40;

    [Fact]
    public async Task ARedisThatLostItsLastWritesIsFencedAndSetRightAndEveryPromiseHolds()
    {
        var seed = Environment.TickCount;
        var random = new Random(seed);
        output.WriteLine($"seed {seed}");
        using var shardRedis = RedisServer.Start(fsync: "everysec");
        using var poolRedis = RedisServer.Start(fsync: "everysec");
        using var store = new TestStore(StorageMode.Clustered);
        using var factory = new SeckillFactory(new Dictionary<string, string?>
        {
            ["Redis:Shard"] = shardRedis.Configuration(),
            ["Redis:Pool"] = poolRedis.Configuration(),
            ["Orders:ConfirmWaitMs"] = "200",
            // Half the stock starts on the shard; the rest comes in refills of a tenth.
            ["Allocation:ReserveRatio"] = "0.5",
            ["Allocation:RefillRatio"] = "0.1",
        }, store);
        var recovery = factory.Get<ShardRecovery>();
        long nextUser = 0;
        var fencedRounds = 0;

        for (var round = 1; round <= Rounds; round++)
        {
            var sale = await factory.CreateSaleAsync(stock: Stock);
            var before = shardRedis.AofLength;
            var recoveriesBefore = recovery.Completed;

            // A burst of buyers whose orders MySQL commits...
            var first = await BuyAsync(factory, sale.Id, Enumerable.Range(0, 25).Select(_ => ++nextUser));
            // ...and right after it the shard Redis is killed and comes back with only part of
            // what it wrote during the burst (the pool Redis too, every other round).
            var written = shardRedis.AofLength;
            var keep = random.NextInt64(before, written + 1);
            shardRedis.RestartWithoutWritesAfter(keep);
            if (round % 2 == 0)
            {
                var pool = poolRedis.AofLength;
                poolRedis.RestartWithoutWritesAfter(random.NextInt64(pool / 2, pool + 1));
            }

            // Everyone else tries (a 503 is retried, as a client would), more buyers than units.
            var second = await BuyAsync(factory, sale.Id, Enumerable.Range(0, 40).Select(_ => ++nextUser));
            StockResponse stock;
            try
            {
                stock = await factory.SettledStockAsync(sale.Id);
            }
            finally
            {
                using var debug = store.OpenDatabase();
                foreach (var row in await debug.QueryAsync("SELECT status, reason, COUNT(*) AS n FROM orders WHERE sale_id = @Id GROUP BY status, reason", new { sale.Id }))
                {
                    output.WriteLine($"  orders {row.status} {row.reason}: {row.n}");
                }
                foreach (var row in await debug.QueryAsync("SELECT id, from_shard, to_shard, units, landed_at FROM stock_moves WHERE sale_id = @Id", new { sale.Id }))
                {
                    output.WriteLine($"  move {row.id} {row.from_shard}->{row.to_shard} {row.units} landed {row.landed_at}");
                }
                output.WriteLine($"  answers: {string.Join(", ", first.Concat(second).GroupBy(a => a.Value.Status).Select(g => $"{g.Key} {g.Count()}"))}");
            }

            var acknowledged = first.Concat(second).Where(answer => answer.Value.Status is HttpStatusCode.Created or HttpStatusCode.Accepted)
                .ToDictionary(answer => answer.Value.OrderId, answer => answer.Key);
            using var db = store.OpenDatabase();
            var orders = (await db.QueryAsync<(long Id, long UserId, string Status)>(
                "SELECT id, user_id, status FROM orders WHERE sale_id = @Id", new { sale.Id })).ToDictionary(order => order.Id);
            var active = orders.Values.Where(order => order.Status is "awaiting_payment" or "paid").ToList();
            var failed = acknowledged.Keys.Where(id => orders.TryGetValue(id, out var order) && order.Status == "failed").ToList();
            var recovered = recovery.Completed > recoveriesBefore;
            fencedRounds += recovered ? 1 : 0;
            output.WriteLine($"round {round}: kept {keep - before} of {written - before} AOF bytes of the burst; recovered {recovered}; " +
                $"acknowledged {acknowledged.Count}, active {active.Count}, failed {failed.Count}; {stock with { Shards = [] }}");

            // No acknowledged order failed or went missing, and each is its buyer's.
            Assert.Empty(failed);
            foreach (var (orderId, user) in acknowledged)
            {
                Assert.True(orders.TryGetValue(orderId, out var order), $"round {round}: acknowledged order {orderId} is not in MySQL");
                Assert.Equal((user, true), (order.UserId, order.Status is "awaiting_payment" or "paid"));
            }
            // Nothing oversold, nothing stranded: more buyers than units, so every unit is sold.
            Assert.Equal(acknowledged.Count, active.Count);
            Assert.Equal(Stock, active.Count);
            Assert.Equal(active.Count, active.Select(order => order.UserId).Distinct().Count());
            Assert.Equal((Stock, 0L, 0L), (stock.Sold, stock.Pool, stock.Available));
            Api.AssertConserved(stock);
        }
        // The truncations did lose acknowledged writes, and the fence caught them.
        Assert.True(fencedRounds >= Rounds / 2, $"only {fencedRounds} of {Rounds} rounds fenced the shard");
    }

    /// <summary>
    /// Each user tries once, all at once; an answer of 503 (the shard away or fenced) is tried
    /// again until it is something else. Returns user → (status, order id if acknowledged).
    /// </summary>
    private static async Task<ConcurrentDictionary<long, (HttpStatusCode Status, long OrderId)>> BuyAsync(
        SeckillFactory factory, long saleId, IEnumerable<long> users)
    {
        var answers = new ConcurrentDictionary<long, (HttpStatusCode, long)>();
        await Task.WhenAll(users.Select(async user =>
        {
            using var buyer = factory.ClientFor(user);
            HttpResponseMessage response = null!;
            await Eventually.TrueAsync(async () =>
            {
                response = await buyer.PurchaseAsync(saleId);
                return response.StatusCode != HttpStatusCode.ServiceUnavailable;
            }, $"user {user} to be answered other than 503", TimeSpan.FromSeconds(60));
            var orderId = response.StatusCode is HttpStatusCode.Created or HttpStatusCode.Accepted ? (await response.ReadPurchaseAsync()).OrderId : 0;
            answers[user] = (response.StatusCode, orderId);
        }));
        return answers;
    }
}
