using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Seckill.Web.Purchasing;

namespace Seckill.Web.Tests.Infrastructure;

/// <summary>Buyers of real instances (<see cref="SeckillProcess"/>): one client per instance, each request with its buyer's token.</summary>
public static class ProcessBuyers
{
    /// <summary>A client of <paramref name="process"/> that looks like a browser (tokens go on each request).</summary>
    public static HttpClient Client(SeckillProcess process)
    {
        var client = new HttpClient { BaseAddress = process.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.UserAgent.ParseAdd(SeckillFactory.BrowserAgent);
        return client;
    }

    /// <summary><paramref name="quantity"/> units bought by <paramref name="user"/>: the status, the order id if acknowledged, the problem code if any.</summary>
    public static async Task<(HttpStatusCode Status, long OrderId, string? Code)> BuyAsync(HttpClient client, long saleId, long user, int quantity = 1)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/sales/{saleId}/purchase") { Content = JsonContent.Create(new { quantity }) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", SeckillProcess.Token(user));
        using var response = await client.SendAsync(request);
        if (response.StatusCode is HttpStatusCode.Created or HttpStatusCode.Accepted)
        {
            return (response.StatusCode, (await response.Content.ReadFromJsonAsync<PurchaseResponse>(Api.Json))!.OrderId, null);
        }
        var body = await response.Content.ReadAsStringAsync();
        string? code = null;
        if (response.Content.Headers.ContentType?.MediaType == "application/problem+json")
        {
            using var problem = JsonDocument.Parse(body);
            code = problem.RootElement.TryGetProperty("code", out var value) ? value.GetString() : null;
        }
        return (response.StatusCode, 0, code);
    }

    /// <summary>
    /// One buyer per user, all at once, spread over <paramref name="clients"/>; the order ids
    /// acknowledged (201 or 202). Any other answer than 409 (and <paramref name="alsoAllowed"/>) fails.
    /// </summary>
    /// <param name="refusals">If given, counts each refusal's problem code (for a test's diagnostics).</param>
    public static async Task<List<long>> WaveAsync(HttpClient[] clients, long saleId, Func<long> nextUser, int buyers,
        HttpStatusCode? alsoAllowed = null, ConcurrentDictionary<string, int>? refusals = null)
    {
        var users = Enumerable.Range(0, buyers).Select(_ => nextUser()).ToList();
        var results = await Task.WhenAll(users.Select(async user =>
        {
            var (status, orderId, code) = await BuyAsync(clients[user % clients.Length], saleId, user);
            if (orderId == 0)
            {
                refusals?.AddOrUpdate(code ?? ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture), 1, (_, count) => count + 1);
            }
            Assert.True(status is HttpStatusCode.Created or HttpStatusCode.Accepted or HttpStatusCode.Conflict || status == alsoAllowed,
                $"user {user}: unexpected {(int)status} {code}");
            return orderId;
        }));
        return results.Where(id => id != 0).ToList();
    }
}
