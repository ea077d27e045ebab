using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Seckill.Web.Orders;
using Seckill.Web.Purchasing;
using Seckill.Web.Sales;
using Seckill.Web.Stock;

namespace Seckill.Web.Tests.Infrastructure;

/// <summary>Small typed helpers over the HTTP API, as a client would call it.</summary>
public static class Api
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task<SaleResponse> CreateSaleAsync(this SeckillFactory factory, int stock = 100, int perUserLimit = 1,
        TimeSpan? startsIn = null, TimeSpan? lasts = null, decimal price = 9.99m, bool requireToken = false)
    {
        var now = factory.Clock.GetUtcNow();
        var startsAt = now + (startsIn ?? TimeSpan.FromSeconds(-1));
        using var admin = factory.Admin();
        var response = await admin.PostAsJsonAsync("/api/admin/sales", new
        {
            sku = "SKU-" + Guid.NewGuid().ToString("N")[..8],
            name = "Test sale",
            price,
            stock,
            startsAt,
            endsAt = startsAt + (lasts ?? TimeSpan.FromHours(1)),
            perUserLimit,
            requireToken,
        });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<SaleResponse>(Json))!;
    }

    public static Task<HttpResponseMessage> PurchaseAsync(this HttpClient client, long saleId, int quantity = 1) =>
        client.PostAsJsonAsync($"/api/sales/{saleId}/purchase", new { quantity });

    public static async Task<StockResponse> StockAsync(this SeckillFactory factory, long saleId)
    {
        using var admin = factory.Admin();
        var response = await admin.GetAsync($"/api/admin/sales/{saleId}/stock");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<StockResponse>(Json))!;
    }

    public static async Task<OrderResponse> OrderAsync(this SeckillFactory factory, long orderId)
    {
        using var admin = factory.Admin();
        var response = await admin.GetAsync($"/api/orders/{orderId}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<OrderResponse>(Json))!;
    }

    public static async Task<PurchaseResponse> ReadPurchaseAsync(this HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<PurchaseResponse>(Json))!;

    /// <summary>The problem body's <c>code</c>, asserting the response is a problem.</summary>
    public static async Task<string> ProblemCodeAsync(this HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("code").GetString()!;
    }

    /// <summary>An id as the service writes it: a JSON string holding a 64-bit integer.</summary>
    public static long Id(this JsonElement element) => long.Parse(element.GetString()!, System.Globalization.CultureInfo.InvariantCulture);

    public static async Task<JsonElement> ProblemAsync(this HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    /// <summary>
    /// Waits until nothing is queued or moving and the conservation law holds. Units returning
    /// from a cancelled or expired order are briefly in no term (committed in the database, not
    /// yet back in the pool), so the law is awaited, not sampled; a real break times out here
    /// with the last figures.
    /// </summary>
    public static async Task<StockResponse> SettledStockAsync(this SeckillFactory factory, long saleId)
    {
        StockResponse stock = null!;
        await Eventually.TrueAsync(async () =>
        {
            stock = await factory.StockAsync(saleId);
            return stock.Reserved == 0 && stock.InTransit == 0 && Conserved(stock);
        }, () => $"sale {saleId} to settle with its stock conserved; last seen {stock}");
        return stock;
    }

    /// <summary>
    /// Units leave the pool for <paramref name="shardId"/> in the ledger long ago and never arrive
    /// there (a mover that crashed between the two steps).
    /// </summary>
    public static void StrandInTransit(this SeckillFactory factory, long saleId, int shardId, int units, long moveId)
    {
        factory.ExecuteSql($"UPDATE stock_pools SET units = units - {units} WHERE sale_id = {saleId}");
        factory.ExecuteSql($"INSERT INTO stock_moves (id, sale_id, from_shard, to_shard, units, taken, created_at) VALUES ({moveId}, {saleId}, NULL, {shardId}, {units}, 1, 0)");
    }

    /// <summary>
    /// Users 1 to <paramref name="buyers"/> each buy one unit of the sale, all released at the same
    /// instant; each answer as the status's name, or the problem code of a 409 or 503.
    /// </summary>
    public static async Task<string[]> CrowdAsync(this SeckillFactory factory, long saleId, int buyers)
    {
        var tokens = Enumerable.Range(1, buyers).Select(user => factory.Token(user)).ToList();
        using var client = factory.CreateClient();
        using var start = new SemaphoreSlim(0);
        var requests = tokens.Select(async token =>
        {
            await start.WaitAsync();
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/sales/{saleId}/purchase")
            {
                Content = new StringContent("""{"quantity":1}""", System.Text.Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new("Bearer", token);
            using var response = await client.SendAsync(request);
            return response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.ServiceUnavailable ? await response.ProblemCodeAsync() : response.StatusCode.ToString();
        }).ToList();
        start.Release(buyers);
        return await Task.WhenAll(requests);
    }

    private static bool Conserved(StockResponse stock) =>
        stock.Total == stock.Pool + stock.Available + stock.Reserved + stock.InTransit + stock.Sold;

    public static void AssertConserved(StockResponse stock) =>
        Assert.True(Conserved(stock),
            $"conservation broken: total {stock.Total} != pool {stock.Pool} + available {stock.Available} + reserved {stock.Reserved} + inTransit {stock.InTransit} + sold {stock.Sold}");
}

/// <summary>Waits for a condition with a deadline instead of sleeping a fixed time.</summary>
public static class Eventually
{
    public static Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? within = null) =>
        TrueAsync(condition, () => what, within);

    public static async Task TrueAsync(Func<Task<bool>> condition, Func<string> what, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(30));
        // The condition is polled on a cadence until it holds or the deadline passes.
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out waiting for {what()}.");
            }
            await poll.WaitForNextTickAsync();
        }
    }
}
