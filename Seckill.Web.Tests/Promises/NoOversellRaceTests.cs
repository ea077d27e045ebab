using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Seckill.Web.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Seckill.Web.Tests.Promises;

public sealed class NoOversellRaceTests(ITestOutputHelper output) : IDisposable
{
    private const int Users = 5_000;
    private const int Repeaters = 1_000;
    private const int Stock = 100;

    private readonly SeckillFactory _factory = new(new Dictionary<string, string?> { ["Orders:ConfirmWaitMs"] = "100" });

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task ThousandsOfBuyersRacingForAHundredUnitsMakeExactlyAHundredOrders()
    {
        var sale = await _factory.CreateSaleAsync(stock: Stock);
        var tokens = Enumerable.Range(1, Users).ToDictionary(user => (long)user, user => _factory.Token(user));
        using var client = _factory.CreateClient();

        // Every user once, and a thousand of them a second time, all at once.
        var attempts = Enumerable.Range(1, Users).Concat(Enumerable.Range(1, Repeaters)).Select(user => (long)user).ToList();
        Random.Shared.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(attempts));
        using var start = new SemaphoreSlim(0);
        var outcomes = new ConcurrentBag<(long User, HttpStatusCode Status, string Code, long OrderId)>();
        var requests = attempts.Select(async user =>
        {
            await start.WaitAsync();
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/sales/{sale.Id}/purchase")
            {
                Content = new StringContent("""{"quantity":1}""", System.Text.Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new("Bearer", tokens[user]);
            using var response = await client.SendAsync(request);
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var code = body.RootElement.TryGetProperty("code", out var c) ? c.GetString()! : "";
            var orderId = body.RootElement.TryGetProperty("orderId", out var o) ? o.Id() : 0;
            outcomes.Add((user, response.StatusCode, code, orderId));
        }).ToList();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        start.Release(attempts.Count);
        await Task.WhenAll(requests);
        output.WriteLine($"{attempts.Count} requests in {clock.ElapsedMilliseconds} ms: " + string.Join(", ",
            outcomes.GroupBy(o => $"{(int)o.Status} {o.Code}").OrderBy(g => g.Key).Select(g => $"{g.Key.Trim()} x{g.Count()}")));

        var won = outcomes.Where(o => o.Status is HttpStatusCode.Created or HttpStatusCode.Accepted).ToList();
        Assert.Equal(Stock, won.Count);
        Assert.Equal(Stock, won.Select(o => o.User).Distinct().Count());
        var refused = outcomes.Where(o => o.Status == HttpStatusCode.Conflict).ToList();
        Assert.Equal(attempts.Count - Stock, refused.Count);
        Assert.All(refused, o => Assert.Contains(o.Code, new[] { "sold_out", "already_purchased" }));
        // Only winners hear "already purchased", and it names the order they won.
        var winners = won.ToDictionary(o => o.User, o => o.OrderId);
        Assert.All(refused.Where(o => o.Code == "already_purchased"), o => Assert.Equal(winners[o.User], o.OrderId));

        var stock = await _factory.SettledStockAsync(sale.Id);
        Assert.Equal((Stock, 0L, 0L, Stock), (stock.Sold, stock.Pool, stock.Available, stock.AwaitingPayment));
        // Every acknowledged order is a real order of its buyer.
        foreach (var (user, orderId) in winners)
        {
            var order = await _factory.OrderAsync(orderId);
            Assert.Equal((user, "awaiting_payment"), (order.UserId, order.Status));
        }
    }
}
