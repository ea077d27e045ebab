using Seckill.Web.Cluster;
using Seckill.Web.Storage.Redis;
using Seckill.Web.Tests.Infrastructure;
using Seckill.Web.Tests.Promises;

namespace Seckill.Web.Tests.Clustered;

/// <summary>The reconcile job against a shard Redis changed behind the service's back.</summary>
public sealed class ReconcileRedisTests : IDisposable
{
    private readonly SeckillFactory _factory = new(new Dictionary<string, string?> { ["Jobs:Reconcile"] = "* * * * * *" },
        new TestStore(StorageMode.Clustered));

    public void Dispose() => _factory.Dispose();

    private string Key(string name) => _factory.Get<RedisConnections>().KeyPrefix + name;

    [Fact]
    public async Task ACounterOffByMoreThanTenIsRepairedAtTheNextRun()
    {
        var sale = await _factory.CreateSaleAsync(stock: 100);
        var before = await _factory.SettledStockAsync(sale.Id);

        // Not read back here: the job runs every second and may already be setting it right (the
        // repair it records says by how much it was off).
        await _factory.Get<RedisConnections>().Shard.HashIncrementAsync(Key($"stock:{sale.Id}"), "available", 25);

        await Eventually.TrueAsync(async () => (await _factory.StockAsync(sale.Id)).Available == before.Available, "the counter to be set back");
        await Eventually.TrueAsync(() => Task.FromResult(ReconcileTests.ReconcileResults(_factory).Count > 0), "the repairing run to be recorded");
        var repair = Assert.Single(ReconcileTests.ReconcileResults(_factory));
        Assert.Contains("off by 25 units", repair);
        Api.AssertConserved(await _factory.StockAsync(sale.Id));
    }

    [Fact]
    public async Task ALostBuyerMarkIsRestoredWhenItIsStillLostAtTheNextRun()
    {
        var sale = await _factory.CreateSaleAsync(stock: 100);
        using var buyer = _factory.ClientFor(42);
        var orderId = (await (await buyer.PurchaseAsync(sale.Id)).ReadPurchaseAsync()).OrderId;
        var shard = _factory.Get<IShardRouter>().Local;

        await _factory.Get<RedisConnections>().Shard.HashDeleteAsync(Key($"buyers:{sale.Id}"), 42);
        Assert.False((await shard.ListBuyersAsync(sale.Id)).ContainsKey(42));

        await Eventually.TrueAsync(async () => (await shard.ListBuyersAsync(sale.Id)).GetValueOrDefault(42) == orderId, "the mark to be restored");
        await Eventually.TrueAsync(() => Task.FromResult(ReconcileTests.ReconcileResults(_factory).Count > 0), "the repairing run to be recorded");
        var repair = Assert.Single(ReconcileTests.ReconcileResults(_factory));
        Assert.Contains("two runs in a row", repair);
        Assert.Contains("\"MissingMarks\":1", repair);
        // The buyer is known again: a second purchase is refused.
        Assert.Equal("already_purchased", await (await buyer.PurchaseAsync(sale.Id)).ProblemCodeAsync());
    }

    /// <summary>
    /// A lost mark and a mark left behind in the same sale keep the count the job compares first:
    /// the sale's turn to be read in full comes, and both are set right at the run after.
    /// </summary>
    [Fact]
    public async Task ALostMarkAndAStrayOneThatKeepTheCountAreFoundInTheSalesTurn()
    {
        var sales = new List<long>();
        long orderId = 0;
        using var buyer = _factory.ClientFor(42);
        for (var i = 0; i < 3; i++)
        {
            var sale = await _factory.CreateSaleAsync(stock: 100);
            orderId = (await (await buyer.PurchaseAsync(sale.Id)).ReadPurchaseAsync()).OrderId;
            await _factory.SettledStockAsync(sale.Id);
            sales.Add(sale.Id);
        }
        var swapped = sales[^1];
        var shard = _factory.Get<IShardRouter>().Local;

        var redis = _factory.Get<RedisConnections>().Shard;
        await redis.HashDeleteAsync(Key($"buyers:{swapped}"), 42);
        await redis.HashSetAsync(Key($"buyers:{swapped}"), 43, orderId + 1);
        Assert.Equal(1, await shard.CountBuyersAsync(swapped));

        await Eventually.TrueAsync(async () => await shard.ListBuyersAsync(swapped) is var marks && marks.Count == 1 && marks.GetValueOrDefault(42) == orderId,
            "the lost mark to be restored and the stray one dropped");
        await Eventually.TrueAsync(() => Task.FromResult(ReconcileTests.ReconcileResults(_factory).Count > 0), "the repairing run to be recorded");
        var repair = Assert.Single(ReconcileTests.ReconcileResults(_factory));
        Assert.Contains($"sale {swapped} was off in two runs in a row", repair);
        Assert.Contains("\"MissingMarks\":1,\"ExtraMarks\":1", repair);
    }
}
