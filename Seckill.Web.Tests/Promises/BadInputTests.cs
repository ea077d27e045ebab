using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Seckill.Web.Tests.Infrastructure;

namespace Seckill.Web.Tests.Promises;

/// <summary>
/// Every kind of bad request gets a 4xx problem with its code, and changes nothing: the stock
/// terms and the order counts are the same before and after.
/// </summary>
public sealed class BadInputTests : IClassFixture<BadInputTests.SaleFixture>
{
    /// <summary>Who calls; <see cref="Script"/> and <see cref="NoAgent"/> combine with a caller to change its User-Agent.</summary>
    [Flags]
    public enum Caller { Buyer = 0, Admin = 1, Anonymous = 2, ExpiredToken = 3, WrongKey = 4, WrongIssuer = 5, Garbage = 6, NonNumericSubject = 7, Script = 16, NoAgent = 32 }

    public sealed class SaleFixture : IAsyncLifetime
    {
        public SeckillFactory Factory { get; } = new();
        public long SaleId { get; private set; }
        public long OrderId { get; private set; }

        public async Task InitializeAsync()
        {
            SaleId = (await Factory.CreateSaleAsync(stock: 20, perUserLimit: 2)).Id;
            using var buyer = Factory.ClientFor(500);
            OrderId = (await (await buyer.PurchaseAsync(SaleId)).ReadPurchaseAsync()).OrderId;
        }

        public Task DisposeAsync()
        {
            Factory.Dispose();
            return Task.CompletedTask;
        }
    }

    private readonly SaleFixture _fixture;

    public BadInputTests(SaleFixture fixture) => _fixture = fixture;

    private const string Purchase = "POST /api/sales/{sale}/purchase";
    private const string Json = "application/json";

    public static TheoryData<string, string, string?, string, Caller, int, string> Cases => new()
    {
        // name, "METHOD path", body, content type, caller, status, code
        { "malformed JSON", Purchase, """{"quantity":""", Json, Caller.Buyer, 400, "invalid_json" },
        { "not an object", Purchase, "[1,2]", Json, Caller.Buyer, 400, "invalid_json" },
        { "quantity as a string", Purchase, """{"quantity":"1"}""", Json, Caller.Buyer, 400, "invalid_json" },
        { "quantity as a bool", Purchase, """{"quantity":true}""", Json, Caller.Buyer, 400, "invalid_json" },
        { "quantity as a fraction", Purchase, """{"quantity":1.5}""", Json, Caller.Buyer, 400, "invalid_json" },
        { "quantity beyond 64 bits", Purchase, """{"quantity":100000000000000000000000}""", Json, Caller.Buyer, 400, "invalid_json" },
        { "quantity 0", Purchase, """{"quantity":0}""", Json, Caller.Buyer, 400, "invalid_quantity" },
        { "quantity -1", Purchase, """{"quantity":-1}""", Json, Caller.Buyer, 400, "invalid_quantity" },
        { "quantity above the per-user limit", Purchase, """{"quantity":3}""", Json, Caller.Buyer, 400, "invalid_quantity" },
        { "quantity 2^40", Purchase, """{"quantity":1099511627776}""", Json, Caller.Buyer, 400, "invalid_quantity" },
        { "empty body", Purchase, "", Json, Caller.Buyer, 400, "invalid_json" },
        { "not JSON content", Purchase, "quantity=1", "application/x-www-form-urlencoded", Caller.Buyer, 415, "unsupported_media_type" },
        { "non-numeric sale id", "POST /api/sales/abc/purchase", """{"quantity":1}""", Json, Caller.Buyer, 400, "invalid_id" },
        { "negative sale id", "POST /api/sales/-5/purchase", """{"quantity":1}""", Json, Caller.Buyer, 400, "invalid_id" },
        { "zero sale id", "POST /api/sales/0/purchase", """{"quantity":1}""", Json, Caller.Buyer, 400, "invalid_id" },
        { "sale id beyond 64 bits", "POST /api/sales/99999999999999999999/purchase", """{"quantity":1}""", Json, Caller.Buyer, 400, "invalid_id" },
        { "unknown sale id", "POST /api/sales/9223372036854775807/purchase", """{"quantity":1}""", Json, Caller.Buyer, 404, "sale_not_found" },
        { "no token", Purchase, """{"quantity":1}""", Json, Caller.Anonymous, 401, "unauthorized" },
        { "expired token", Purchase, """{"quantity":1}""", Json, Caller.ExpiredToken, 401, "token_expired" },
        { "token signed with another key", Purchase, """{"quantity":1}""", Json, Caller.WrongKey, 401, "invalid_token" },
        { "token from another issuer", Purchase, """{"quantity":1}""", Json, Caller.WrongIssuer, 401, "invalid_token" },
        { "garbage token", Purchase, """{"quantity":1}""", Json, Caller.Garbage, 401, "invalid_token" },
        { "token without a numeric user", Purchase, """{"quantity":1}""", Json, Caller.NonNumericSubject, 403, "forbidden" },
        { "non-admin creates a sale", "POST /api/admin/sales", """{"sku":"x","name":"x","price":1,"stock":5,"startsAt":"2026-01-01T00:00:00Z","endsAt":"2099-01-01T00:00:00Z"}""", Json, Caller.Buyer, 403, "forbidden" },
        { "non-admin reads stock", "GET /api/admin/sales/{sale}/stock", null, Json, Caller.Buyer, 403, "forbidden" },
        { "anonymous creates a sale", "POST /api/admin/sales", """{"sku":"x"}""", Json, Caller.Anonymous, 401, "unauthorized" },
        { "unknown field in admin body", "POST /api/admin/sales", """{"sku":"x","name":"x","price":1,"stock":5,"startsAt":"2026-01-01T00:00:00Z","endsAt":"2099-01-01T00:00:00Z","discount":50}""", Json, Caller.Admin, 400, "invalid_json" },
        { "wrong type in admin body", "POST /api/admin/sales", """{"sku":"x","name":"x","price":"free","stock":5,"startsAt":"2026-01-01T00:00:00Z","endsAt":"2099-01-01T00:00:00Z"}""", Json, Caller.Admin, 400, "invalid_json" },
        { "bad date in admin body", "POST /api/admin/sales", """{"sku":"x","name":"x","price":1,"stock":5,"startsAt":"yesterday","endsAt":"2099-01-01T00:00:00Z"}""", Json, Caller.Admin, 400, "invalid_json" },
        { "invalid fields in admin body", "POST /api/admin/sales", """{"sku":"","name":"x","price":1,"stock":-5,"startsAt":"2026-01-01T00:00:00Z","endsAt":"2099-01-01T00:00:00Z"}""", Json, Caller.Admin, 400, "validation_failed" },
        { "non-numeric order id", "GET /api/orders/abc", null, Json, Caller.Buyer, 400, "invalid_id" },
        { "pay an unknown order", "POST /api/orders/12345/pay", null, Json, Caller.Buyer, 404, "order_not_found" },
        { "pay someone else's order", "POST /api/orders/{order}/pay", null, Json, Caller.Buyer, 404, "order_not_found" },
        { "cancel someone else's order", "POST /api/orders/{order}/cancel", null, Json, Caller.Buyer, 404, "order_not_found" },
        { "unknown route", "GET /api/nothing-here", null, Json, Caller.Buyer, 404, "not_found" },
        { "wrong method", "DELETE /api/sales/{sale}/purchase", null, Json, Caller.Buyer, 405, "method_not_allowed" },
        { "PUT a purchase", "PUT /api/sales/{sale}/purchase", """{"quantity":1}""", Json, Caller.Buyer, 405, "method_not_allowed" },
        { "PUT a sale", "PUT /api/admin/sales", """{"sku":"x"}""", Json, Caller.Admin, 405, "method_not_allowed" },
        { "DELETE a sale", "DELETE /api/sales/{sale}", null, Json, Caller.Admin, 405, "method_not_allowed" },
        { "DELETE an order", "DELETE /api/orders/{order}", null, Json, Caller.Admin, 405, "method_not_allowed" },
        { "DELETE readiness", "DELETE /health/ready", null, Json, Caller.Anonymous, 405, "method_not_allowed" },
        { "POST readiness", "POST /health/ready", "{}", Json, Caller.Anonymous, 405, "method_not_allowed" },
        { "PUT liveness", "PUT /health/live", "{}", Json, Caller.Anonymous, 405, "method_not_allowed" },
        { "duplicate property", Purchase, """{"quantity":2,"quantity":1}""", Json, Caller.Buyer, 400, "invalid_json" },
        { "duplicate property differing in case", Purchase, """{"quantity":2,"Quantity":1}""", Json, Caller.Buyer, 400, "invalid_json" },
        { "duplicate property in admin body", "POST /api/admin/sales", """{"sku":"x","name":"x","price":1,"stock":5,"stock":500,"startsAt":"2026-01-01T00:00:00Z","endsAt":"2099-01-01T00:00:00Z"}""", Json, Caller.Admin, 400, "invalid_json" },
        { "purchase token as a number", Purchase, """{"quantity":1,"token":5}""", Json, Caller.Buyer, 400, "invalid_json" },
        { "purchase from a script", Purchase, """{"quantity":1}""", Json, Caller.Buyer | Caller.Script, 403, "bot_suspected" },
        { "purchase with no User-Agent", Purchase, """{"quantity":1}""", Json, Caller.Buyer | Caller.NoAgent, 403, "bot_suspected" },
        { "non-numeric user to blacklist", "POST /api/admin/blacklist/abc", null, Json, Caller.Admin, 400, "invalid_id" },
        { "user 0 off the blacklist", "DELETE /api/admin/blacklist/0", null, Json, Caller.Admin, 400, "invalid_id" },
        { "remove a user not on the blacklist", "DELETE /api/admin/blacklist/424242", null, Json, Caller.Admin, 404, "not_blacklisted" },
        { "non-admin blacklists", "POST /api/admin/blacklist/7", null, Json, Caller.Buyer, 403, "forbidden" },
        { "non-admin reads the blacklist", "GET /api/admin/blacklist", null, Json, Caller.Buyer, 403, "forbidden" },
        { "anonymous blacklists", "POST /api/admin/blacklist/7", null, Json, Caller.Anonymous, 401, "unauthorized" },
        { "non-admin reads metrics", "GET /api/admin/metrics", null, Json, Caller.Buyer, 403, "forbidden" },
        { "purchase token for a non-numeric sale", "GET /api/sales/abc/token", null, Json, Caller.Buyer, 400, "invalid_id" },
        { "purchase token for an unknown sale", "GET /api/sales/9223372036854775807/token", null, Json, Caller.Buyer, 404, "sale_not_found" },
        { "purchase token for nobody", "GET /api/sales/{sale}/token", null, Json, Caller.Anonymous, 401, "unauthorized" },
        { "purchase token for a script", "GET /api/sales/{sale}/token", null, Json, Caller.Buyer | Caller.Script, 403, "bot_suspected" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task BadRequestGetsAProblemWithItsCodeAndChangesNothing(
        string name, string route, string? body, string contentType, Caller caller, int status, string code)
    {
        var before = await SnapshotAsync();
        var parts = route.Replace("{sale}", _fixture.SaleId.ToString()).Replace("{order}", _fixture.OrderId.ToString()).Split(' ');
        using var request = new HttpRequestMessage(new HttpMethod(parts[0]), parts[1]);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }
        if (TokenFor(caller) is { } token)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        using var client = _fixture.Factory.CreateClient();
        if (caller.HasFlag(Caller.Script) || caller.HasFlag(Caller.NoAgent))
        {
            client.DefaultRequestHeaders.UserAgent.Clear();
            if (caller.HasFlag(Caller.Script))
            {
                client.DefaultRequestHeaders.UserAgent.ParseAdd("python-requests/2.31.0");
            }
        }
        var response = await client.SendAsync(request);

        Assert.True(status == (int)response.StatusCode, $"{name}: expected {status}, got {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        Assert.Equal(code, await response.ProblemCodeAsync());
        Assert.Equal(before, await SnapshotAsync());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ATenMegabyteBodyIsRefusedWithoutBeingRead(bool announced)
    {
        var before = await SnapshotAsync();
        var huge = new string(' ', 10 * 1024 * 1024) + """{"quantity":1}""";
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/sales/{_fixture.SaleId}/purchase");
        request.Content = announced
            ? new StringContent(huge, Encoding.UTF8, Json)
            : new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(huge))); // no Content-Length: chunked
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(Json);
        if (!announced)
        {
            request.Headers.TransferEncodingChunked = true;
        }
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TokenFor(Caller.Buyer));
        using var client = _fixture.Factory.CreateClient();
        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("body_too_large", await response.ProblemCodeAsync());
        Assert.Equal(before, await SnapshotAsync());
    }

    private async Task<string> SnapshotAsync()
    {
        var stock = await _fixture.Factory.SettledStockAsync(_fixture.SaleId);
        var sales = _fixture.Factory.Get<Seckill.Web.Sales.SaleCatalog>().All.Count;
        var blacklisted = _fixture.Factory.Get<Seckill.Web.Gate.Blacklist>().Entries.Count;
        return $"{stock with { Shards = [] }} sales={sales} blacklisted={blacklisted} order={(await _fixture.Factory.OrderAsync(_fixture.OrderId)).Status}";
    }

    private string? TokenFor(Caller caller)
    {
        var factory = _fixture.Factory;
        var now = DateTime.UtcNow;
        string Sign(string key, string issuer, string subject, DateTime expires) => TestTokens.Sign(key, issuer, subject, expires);
        var realKey = factory.Get<Microsoft.Extensions.Options.IOptions<Seckill.Web.Security.AuthOptions>>().Value.SigningKey;
        return (caller & ~(Caller.Script | Caller.NoAgent)) switch
        {
            Caller.Buyer => factory.Token(42),
            Caller.Admin => factory.Token(1, admin: true),
            Caller.Anonymous => null,
            Caller.ExpiredToken => Sign(realKey, "seckill", "42", now.AddMinutes(-10)),
            Caller.WrongKey => Sign("another-key-that-is-long-enough-for-hs256!!", "seckill", "42", now.AddHours(1)),
            Caller.WrongIssuer => Sign(realKey, "someone-else", "42", now.AddHours(1)),
            Caller.Garbage => "not.a.token",
            Caller.NonNumericSubject => Sign(realKey, "seckill", "alice", now.AddHours(1)),
            _ => throw new ArgumentOutOfRangeException(nameof(caller)),
        };
    }
}
