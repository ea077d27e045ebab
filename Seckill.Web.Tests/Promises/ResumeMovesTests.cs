using Seckill.Web.Cluster;
using Seckill.Web.Tests.Infrastructure;

namespace Seckill.Web.Tests.Promises;

/// <summary>
/// A move whose mover died between its steps is finished by the rebalance job, in both modes, so
/// its units are on sale again without waiting for the reconcile job (turned off here).
/// </summary>
public sealed class ResumeMovesTests : IDisposable
{
    private readonly SeckillFactory _factory = new(new Dictionary<string, string?> { ["Jobs:Reconcile"] = "0 0 31 2 *" });

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task AMoveLeftInTransitIsFinishedByTheRebalance()
    {
        var sale = await _factory.CreateSaleAsync(stock: 100);
        var before = await _factory.SettledStockAsync(sale.Id);
        var shardId = _factory.Get<IShardRouter>().Local.Id;

        // Not read back here: the rebalance job may already be landing it.
        _factory.StrandInTransit(sale.Id, shardId, units: 5, moveId: 778);

        await Eventually.TrueAsync(async () => (await _factory.StockAsync(sale.Id)) is { InTransit: 0 } stock && stock.Available == before.Available + 5,
            "the stranded units to land on the shard");
        var after = await _factory.StockAsync(sale.Id);
        Assert.Equal(before.Pool - 5, after.Pool);
        Api.AssertConserved(after);
    }
}
