using System.Net;
using Seckill.Web.Tests.Infrastructure;

namespace Seckill.Web.Tests.Promises;

public sealed class NoStrandedStockTests : IDisposable
{
    private const int Buyers = 2_000;

    // Most of the stock stays in the pool and refills are tiny, so buyers constantly find the
    // shard empty while units are in the pool or on their way to the shard.
    private readonly SeckillFactory _factory = new(new Dictionary<string, string?>
    {
        ["Allocation:ReserveRatio"] = "0.9",
        ["Allocation:RefillRatio"] = "0.001",
    });

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task WhenThereIsAUnitForEveryBuyerEveryBuyerGetsOne()
    {
        var sale = await _factory.CreateSaleAsync(stock: Buyers);
        var outcomes = await _factory.CrowdAsync(sale.Id, Buyers);

        Assert.True(Buyers == outcomes.Count(o => o is nameof(HttpStatusCode.Created) or nameof(HttpStatusCode.Accepted)),
            "answers: " + string.Join(", ", outcomes.GroupBy(o => o).Select(answer => $"{answer.Key} {answer.Count()}")));
        var stock = await _factory.SettledStockAsync(sale.Id);
        Assert.Equal((Buyers, 0L, 0L), (stock.Sold, stock.Pool, stock.Available));
    }
}
