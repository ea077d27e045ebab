using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Seckill.Web.Sales;
using Seckill.Web.Tests.Infrastructure;
using static Seckill.Web.Tests.Infrastructure.ProcessBuyers;
using Xunit.Abstractions;

namespace Seckill.Web.Tests.Clustered;

/// <summary>
/// Three real instances (processes), each with its own shard Redis, one pool Redis, one MariaDB,
/// and skewed traffic: instance 0 gets most buyers, instance 2 the rest, instance 1 none. Instance
/// 2 is killed with SIGKILL mid-sale: every order it acknowledged is written by the reclaim, and
/// the whole stock is sold through instance 0 alone — the idle instance's share taken from its
/// shard, the dead one's back from the pool.
/// </summary>
[Collection(ProcessClusters.Name)]
public sealed class InstanceKillTests(ITestOutputHelper output)
{
    private const int Stock = 3000;

    [Fact]
    public async Task AKilledInstancesAcknowledgedOrdersAreAllWrittenAndItsStockIsSoldByTheOthers()
    {
        using var store = new TestStore(StorageMode.Clustered);
        using var shard1 = new TestStore(StorageMode.Clustered);
        using var shard2 = new TestStore(StorageMode.Clustered);
        using var logs = new TempDirectory();
        IReadOnlyDictionary<string, string?> Settings(int id, TestStore shard) => SeckillProcess.InstanceSettings(store, id, shard, new Dictionary<string, string?>
        {
            ["Jobs:Rebalance"] = "* * * * * *",
            ["Jobs:Reclaim"] = "* * * * * *",
            ["Jobs:SchedulePollingInterval"] = "00:00:00.200",
            ["Cluster:DeadAfter"] = "00:00:02",
            ["Orders:ConfirmWaitMs"] = "0",
            // End games and reclaims are logged: printed if the test fails.
            ["Logging:LogLevel:Seckill.Web.Allocation"] = "Information",
        });
        var started = await Task.WhenAll(
            SeckillProcess.StartAsync(Settings(0, store), logs.Path),
            SeckillProcess.StartAsync(Settings(1, shard1), logs.Path),
            SeckillProcess.StartAsync(Settings(2, shard2), logs.Path));
        using var p0 = started[0];
        using var p1 = started[1];
        using var p2 = started[2];
        var processes = new[] { p0, p1, p2 };
        using var http0 = Client(p0);
        using var http1 = Client(p1);
        using var http2 = Client(p2);
        var clients = new[] { http0, http1, http2 };
        try
        {
            await p0.KnowsLiveShardsAsync(3);
            var sale = await p0.CreateSaleAsync(Stock);
            foreach (var client in clients)
            {
                await Eventually.TrueAsync(async () => (await client.GetAsync($"/api/sales/{sale.Id}")).StatusCode == HttpStatusCode.OK,
                    "every instance to know the sale");
            }

            // Wave 1, 80% at instance 0 and 20% at instance 2, while the database takes no order of
            // the sale: what instance 2 acknowledges is only in its shard when it dies.
            var acknowledged = new List<long>();
            var user = 0L;
            using (store.HoldOrderWrites(sale.Id))
            {
                acknowledged.AddRange(await WaveAsync([http0, http0, http0, http0, http2], sale.Id, () => ++user, 900));
            }
            var killedAt = Stopwatch.StartNew();
            p2.Kill();
            output.WriteLine($"wave 1: {acknowledged.Count} acknowledged; instance 2 killed");

            // The reclaim: instance 2's shard is fenced, its reservations written, and then what the
            // ledger says it holds goes back to the pool. Until that last step its units are on sale
            // nowhere, and buyers are told sold_out (README, durability: on sale again about DeadAfter
            // after the kill); the fence alone is not the end of the reclaim.
            await Eventually.TrueAsync(async () =>
            {
                var stock = await p0.StockAsync(sale.Id);
                return stock.Shards.Any(shard => shard.InstanceId == 2 && shard.Reclaimed && HeldByLedger(shard) == 0);
            }, "instance 2's shard to be reclaimed and its stock back in the pool", TimeSpan.FromSeconds(60));
            output.WriteLine($"reclaimed {killedAt.ElapsedMilliseconds} ms after the kill: {Describe(await p0.StockAsync(sale.Id))}");

            // Every buyer now reaches instance 0 (instance 1 still gets none); waves until sold out.
            for (var wave = 2; wave < 30; wave++)
            {
                var refusals = new ConcurrentDictionary<string, int>();
                var bought = await WaveAsync([http0], sale.Id, () => ++user, 900, refusals: refusals);
                acknowledged.AddRange(bought);
                output.WriteLine($"wave {wave}: {bought.Count} acknowledged; refused: {string.Join(", ", refusals.Select(pair => $"{pair.Key} {pair.Value}"))}; " +
                    Describe(await p0.StockAsync(sale.Id)));
                if (bought.Count == 0)
                {
                    break;
                }
            }

            var settled = await p0.SettledStockAsync(sale.Id);
            output.WriteLine($"settled: {settled}; shards: {string.Join(", ", settled.Shards)}");
            Assert.Equal(Stock, settled.Sold);
            Assert.Equal(0, settled.Pool + settled.Available);
            Assert.Equal(Stock, acknowledged.Count);
            AllocatorTests.AssertEachOrderOnce(store, sale.Id, acknowledged);
        }
        catch
        {
            // Whatever failed, the instances' own account of it (end games and reclaims are logged).
            output.WriteLine($"instance 0's log:\n{p0.Log}\ninstance 1's log:\n{p1.Log}\ninstance 2's log:\n{p2.Log}");
            throw;
        }
    }

    /// <summary>What the ledger says a shard holds: moved in, less moved away, less its orders.</summary>
    private static long HeldByLedger(ShardStockResponse shard) => shard.MovedIn - shard.MovedOut - shard.Sold;

    private static string Describe(StockResponse stock) =>
        $"pool {stock.Pool}, in transit {stock.InTransit}, sold {stock.Sold}; " +
        string.Join(", ", stock.Shards.Select(shard =>
            $"shard {shard.InstanceId} available {shard.Available}, ledger {HeldByLedger(shard)}{(shard.Reclaimed ? " (reclaimed)" : "")}"));
}
