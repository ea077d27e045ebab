using System.Globalization;
using System.Net;
using System.Text.Json;
using Seckill.Web.Tests.Infrastructure;

namespace Seckill.Web.Tests.Endpoints;

/// <summary>
/// Every id in every response is exact for a JavaScript client: ids are JSON strings, and no
/// number anywhere in a response is beyond what a double holds exactly. The ids read that way
/// find their orders again.
/// </summary>
public sealed class IdsInResponsesTests : IDisposable
{
    private const double LargestExactInteger = 9_007_199_254_740_992; // 2^53

    private readonly SeckillFactory _factory = new(new Dictionary<string, string?> { ["Orders:ConfirmWaitMs"] = "5000" });

    [Fact]
    public async Task EveryIdOfEveryAnswerIsExactWhenReadAsAJavaScriptClientWould()
    {
        using var admin = _factory.Admin();
        using var buyer = _factory.ClientFor(9_007_199_254_740_993); // a user id above 2^53 too
        var sale = await ReadAsync(await admin.PostAsync("/api/admin/sales", Json(new
        {
            sku = "JS-1", name = "ids", price = 1m, stock = 5, startsAt = _factory.Clock.GetUtcNow().AddSeconds(-1),
            endsAt = _factory.Clock.GetUtcNow().AddHours(1), perUserLimit = 1,
        })));
        var saleId = sale.GetProperty("id").GetString();

        var purchase = await ReadAsync(await buyer.PostAsync($"/api/sales/{saleId}/purchase", Json(new { quantity = 1 })));
        var orderId = purchase.GetProperty("orderId").GetString()!;
        Assert.True(long.Parse(orderId, CultureInfo.InvariantCulture) > LargestExactInteger, "order ids are above 2^53, where this test matters");

        var again = await ReadAsync(await buyer.PostAsync($"/api/sales/{saleId}/purchase", Json(new { quantity = 1 })));
        Assert.Equal(orderId, again.GetProperty("orderId").GetString());

        // The id as a JavaScript client holds it (the string it parsed) finds the order.
        var order = await ReadAsync(await buyer.GetAsync($"/api/orders/{orderId}"));
        Assert.Equal((orderId, saleId, "9007199254740993"),
            (order.GetProperty("orderId").GetString(), order.GetProperty("saleId").GetString(), order.GetProperty("userId").GetString()));
        await ReadAsync(await buyer.PostAsync($"/api/orders/{orderId}/pay", null));

        await ReadAsync(await buyer.GetAsync($"/api/sales/{saleId}"));
        await ReadAsync(await admin.GetAsync($"/api/admin/sales/{saleId}/stock"));
        await ReadAsync(await admin.PostAsync("/api/admin/blacklist/9007199254740995", null));
        await ReadAsync(await admin.GetAsync("/api/admin/blacklist"));
        await ReadAsync(await admin.GetAsync("/api/admin/metrics"));
    }

    private static StringContent Json(object body) => new(JsonSerializer.Serialize(body, Api.Json), System.Text.Encoding.UTF8, "application/json");

    /// <summary>Reads a response as a JavaScript client would and checks it loses nothing doing so.</summary>
    private static async Task<JsonElement> ReadAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode < HttpStatusCode.BadRequest || response.StatusCode == HttpStatusCode.Conflict, text);
        var root = JsonDocument.Parse(text).RootElement.Clone();
        AssertExact(root, "$", text);
        return root;
    }

    private static void AssertExact(JsonElement element, string path, string body)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    var name = property.Name;
                    // traceId is the framework's W3C trace id, text by nature.
                    if (name == "id" || (name.EndsWith("Id", StringComparison.Ordinal) && name != "traceId"))
                    {
                        Assert.True(property.Value.ValueKind == JsonValueKind.String, $"{path}.{name} is an id but not a string in {body}");
                        Assert.True(long.TryParse(property.Value.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out _), $"{path}.{name} in {body}");
                    }
                    AssertExact(property.Value, $"{path}.{name}", body);
                }
                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    AssertExact(item, $"{path}[{i++}]", body);
                }
                break;
            case JsonValueKind.Number:
                // What JSON.parse does with it: a double. Integers must survive that exactly.
                var asDouble = double.Parse(element.GetRawText(), CultureInfo.InvariantCulture);
                if (element.TryGetInt64(out var exact))
                {
                    Assert.True(Math.Abs(asDouble) <= LargestExactInteger && (long)asDouble == exact, $"{path} = {exact} is not exact as a double in {body}");
                }
                break;
        }
    }

    public void Dispose() => _factory.Dispose();
}
