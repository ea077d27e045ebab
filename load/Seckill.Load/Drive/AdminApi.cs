using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Seckill.Load.Drive;

/// <summary>The stock terms of <c>GET /api/admin/sales/{id}/stock</c>.</summary>
public sealed record StockView(long Total, long Pool, long Available, long Reserved, long InTransit, long Sold, long AwaitingPayment, long Paid, long Cancelled, long Expired, long Failed,
    IReadOnlyList<ShardStockView>? Shards = null)
{
    /// <summary>total = pool + Σ available + Σ reserved + in transit + sold.</summary>
    public bool Conserved => Total == Pool + Available + Reserved + InTransit + Sold;
}

/// <summary>One instance's shard of the sale: what it holds, what was sold from it, what the allocator moved in and out.</summary>
public sealed record ShardStockView(
    [property: JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)] int InstanceId, long Available, long Reserved,
    bool Live, bool Reachable, bool Reclaimed, long Sold, long MovedIn, long MovedOut);

/// <summary>An order as <c>GET /api/orders/{id}</c> shows it.</summary>
public sealed record OrderView(long OrderId, long SaleId, long UserId, int Quantity, string Status, string? Reason);

/// <summary>The admin side of the service: sets the sale up and reads it back for the verification.
/// Admin routes are exempt from the service's rate limits, so these calls never compete with the
/// buyers'. A gateway in front (Nginx, <c>deploy/nginx/seckill.conf</c>) cannot tell an admin from
/// a buyer and limits every address: its 429s are waited out and the call sent again.</summary>
public sealed class AdminApi(HttpClient client, TokenMint tokens)
{
    public const long AdminUser = 1;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };
    private readonly string _token = tokens.For(AdminUser, admin: true);

    public async Task<long> CreateSaleAsync(long stock, string name, CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow;
        using var request = Request(HttpMethod.Post, "/api/admin/sales");
        request.Content = JsonContent.Create(new
        {
            sku = "LOAD-" + now.ToUnixTimeSeconds(),
            name,
            price = 9.99m,
            stock,
            startsAt = now.AddSeconds(-1),
            endsAt = now.AddHours(6),
            perUserLimit = 1,
        }, options: Json);
        using var response = await SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"creating the sale answered {(int)response.StatusCode}: {body}");
        }
        // Ids are JSON strings; a service from before that rule sends numbers.
        var id = JsonDocument.Parse(body).RootElement.GetProperty("id");
        return id.ValueKind == JsonValueKind.Number ? id.GetInt64() : long.Parse(id.GetString()!, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Ends the sale now (<c>POST /api/admin/sales/{id}/end</c>); a sale already ended is left as it is.</summary>
    public async Task EndSaleAsync(long saleId, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(Request(HttpMethod.Post, $"/api/admin/sales/{saleId}/end"), cancellationToken);
        if (response.StatusCode != System.Net.HttpStatusCode.Conflict)
        {
            response.EnsureSuccessStatusCode();
        }
    }

    public async Task<StockView> StockAsync(long saleId, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(Request(HttpMethod.Get, $"/api/admin/sales/{saleId}/stock"), cancellationToken);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<StockView>(Json, cancellationToken))!;
    }

    /// <summary>The order, or null when the service does not know it (404).</summary>
    public async Task<OrderView?> OrderAsync(long orderId, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(Request(HttpMethod.Get, $"/api/orders/{orderId}"), cancellationToken);
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<OrderView>(Json, cancellationToken);
    }

    public async Task<string> ReadyAsync(CancellationToken cancellationToken)
    {
        using var response = await SendAsync(Request(HttpMethod.Get, "/health/ready"), cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        return response.IsSuccessStatusCode ? body : throw new InvalidOperationException($"/health/ready answered {(int)response.StatusCode}: {body}");
    }

    /// <summary>
    /// Sends the request; a 429 (a gateway's per-address limit) is waited out, its Retry-After or a
    /// backoff from 50 ms to 1 s, for up to a minute. A request is only sent again after a 429, which
    /// means it was not processed.
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var backoff = TimeSpan.FromMilliseconds(50);
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (true)
        {
            var response = await client.SendAsync(request, cancellationToken);
            if (response.StatusCode != System.Net.HttpStatusCode.TooManyRequests || DateTime.UtcNow > deadline)
            {
                request.Dispose();
                return response;
            }
            var wait = response.Headers.RetryAfter?.Delta ?? backoff;
            response.Dispose();
            await Task.Delay(wait, cancellationToken);
            backoff = TimeSpan.FromMilliseconds(Math.Min(1000, backoff.TotalMilliseconds * 2));
            request = await CopyAsync(request, cancellationToken);
        }
    }

    private static async Task<HttpRequestMessage> CopyAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var copy = new HttpRequestMessage(request.Method, request.RequestUri);
        foreach (var header in request.Headers)
        {
            copy.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }
        if (request.Content is { } content)
        {
            var bytes = await content.ReadAsByteArrayAsync(cancellationToken);
            copy.Content = new ByteArrayContent(bytes);
            foreach (var header in content.Headers)
            {
                copy.Content.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }
        request.Dispose();
        return copy;
    }

    private HttpRequestMessage Request(HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", _token);
        request.Headers.TryAddWithoutValidation("User-Agent", ClientPool.BrowserAgent);
        return request;
    }
}
