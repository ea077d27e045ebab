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
        var tokens = Enumerable.Range(1, Buyers).Select(user => _factory.Token(user)).ToList();
        using var client = _factory.CreateClient();
        using var start = new SemaphoreSlim(0);
        var requests = tokens.Select(async token =>
        {
            await start.WaitAsync();
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/sales/{sale.Id}/purchase")
            {
                Content = new StringContent("""{"quantity":1}""", System.Text.Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new("Bearer", token);
            using var response = await client.SendAsync(request);
            return response.StatusCode == HttpStatusCode.Conflict ? await response.ProblemCodeAsync() : response.StatusCode.ToString();
        }).ToList();
        start.Release(Buyers);
        var outcomes = await Task.WhenAll(requests);

        Assert.Equal(Buyers, outcomes.Count(o => o is nameof(HttpStatusCode.Created) or nameof(HttpStatusCode.Accepted)));
        var stock = await _factory.SettledStockAsync(sale.Id);
        Assert.Equal((Buyers, 0L, 0L), (stock.Sold, stock.Pool, stock.Available));
    }
}
