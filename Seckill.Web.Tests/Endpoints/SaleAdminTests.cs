using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Seckill.Web.Http;
using Seckill.Web.Sales;
using Seckill.Web.Tests.Infrastructure;

namespace Seckill.Web.Tests.Endpoints;

/// <summary>
/// The operators' sale management: listing, changing a sale before it starts, ending one early,
/// adding stock. Each refusal is a coded 4xx that changes nothing; the conservation law holds
/// after every change.
/// </summary>
public sealed class SaleAdminTests : IDisposable
{
    private readonly SeckillFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task SalesAreListedNewestFirstByPhaseAPageAtATime()
    {
        var upcoming = await _factory.CreateSaleAsync(stock: 10, startsIn: TimeSpan.FromHours(1));
        var running = new[] { await _factory.CreateSaleAsync(stock: 10), await _factory.CreateSaleAsync(stock: 10) };
        var ended = await _factory.CreateSaleAsync(stock: 10);
        using var admin = _factory.Admin();
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/admin/sales/{ended.Id}/end", null)).StatusCode);

        var all = await ListAsync(admin, "");
        Assert.Equal(4, all.Total);
        Assert.Equal([ended.Id, running[1].Id, running[0].Id, upcoming.Id], all.Items.Select(sale => sale.Id));
        Assert.Equal(["ended", "active", "active", "upcoming"], all.Items.Select(sale => sale.Status));

        var first = await ListAsync(admin, "?pageSize=3");
        var second = await ListAsync(admin, "?pageSize=3&page=2");
        Assert.Equal((3, 4L), (first.Items.Count, first.Total));
        Assert.Equal([upcoming.Id], second.Items.Select(sale => sale.Id));
        Assert.Equal((2, 3), (second.Page, second.PageSize));
        Assert.Empty((await ListAsync(admin, "?pageSize=3&page=3")).Items);

        Assert.Equal([running[1].Id, running[0].Id], (await ListAsync(admin, "?status=running")).Items.Select(sale => sale.Id));
        Assert.Equal([upcoming.Id], (await ListAsync(admin, "?status=upcoming")).Items.Select(sale => sale.Id));
        var endedOnly = await ListAsync(admin, "?status=ended");
        Assert.Equal([ended.Id], endedOnly.Items.Select(sale => sale.Id));
        Assert.Equal(1, endedOnly.Total);
    }

    [Theory]
    [InlineData("?status=sold")]
    [InlineData("?page=0")]
    [InlineData("?page=-1")]
    [InlineData("?page=x")]
    [InlineData("?pageSize=0")]
    [InlineData("?pageSize=101")]
    public async Task ABadListingQueryIsRefusedWithACode(string query)
    {
        using var admin = _factory.Admin();
        var response = await admin.GetAsync("/api/admin/sales" + query);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("validation_failed", await response.ProblemCodeAsync());
    }

    [Theory]
    [InlineData("GET", "/api/admin/sales")]
    [InlineData("PATCH", "/api/admin/sales/{id}")]
    [InlineData("POST", "/api/admin/sales/{id}/end")]
    [InlineData("POST", "/api/admin/sales/{id}/stock")]
    [InlineData("GET", "/api/admin/sales/{id}/orders")]
    public async Task ManagementIsForAdminsOnly(string method, string route)
    {
        var sale = await _factory.CreateSaleAsync(stock: 10, startsIn: TimeSpan.FromHours(1));
        var path = route.Replace("{id}", sale.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        HttpRequestMessage Request() => new(new HttpMethod(method), path)
        {
            Content = method == "GET" ? null : new StringContent(path.EndsWith("/stock") ? """{"units":5}""" : """{"stock":5}""", Encoding.UTF8, "application/json"),
        };
        using var anonymous = _factory.CreateClient();
        using var buyer = _factory.ClientFor(42);
        var refusedAnonymous = await anonymous.SendAsync(Request());
        var refusedBuyer = await buyer.SendAsync(Request());

        Assert.Equal(HttpStatusCode.Unauthorized, refusedAnonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, refusedBuyer.StatusCode);
        Assert.Equal("forbidden", await refusedBuyer.ProblemCodeAsync());
        var unchanged = await _factory.StockAsync(sale.Id);
        Assert.Equal(10, unchanged.Total);
        Assert.Equal("upcoming", (await GetSaleAsync(sale.Id)).Status);
    }

    [Fact]
    public async Task AnUpcomingSaleIsChangedAndItsStockMovesWithIt()
    {
        var sale = await _factory.CreateSaleAsync(stock: 100, startsIn: TimeSpan.FromMinutes(10));
        // Stored to the millisecond.
        var startsAt = DateTimeOffset.FromUnixTimeMilliseconds(_factory.Clock.GetUtcNow().AddMinutes(20).ToUnixTimeMilliseconds());
        using var admin = _factory.Admin();

        var smaller = await PatchAsync(admin, sale.Id, new { stock = 40, perUserLimit = 2, startsAt, endsAt = startsAt.AddHours(2) });
        Assert.Equal(HttpStatusCode.OK, smaller.StatusCode);
        var changed = (await smaller.Content.ReadFromJsonAsync<SaleResponse>(Api.Json))!;
        Assert.Equal((40, 2, startsAt, startsAt.AddHours(2)), (changed.Stock, changed.PerUserLimit, changed.StartsAt, changed.EndsAt));
        var stock = await _factory.SettledStockAsync(sale.Id);
        Assert.Equal(40, stock.Total);
        Assert.True(stock.Available > 0, "the shards got their share again");

        Assert.Equal(HttpStatusCode.OK, (await PatchAsync(admin, sale.Id, new { stock = 150 })).StatusCode);
        Assert.Equal(150, (await _factory.SettledStockAsync(sale.Id)).Total);
        Assert.Equal(startsAt, (await GetSaleAsync(sale.Id)).StartsAt);

        // The new window and limit are what buyers meet.
        using var buyer = _factory.ClientFor(7);
        Assert.Equal("not_started", await (await buyer.PurchaseAsync(sale.Id, quantity: 2)).ProblemCodeAsync());
        _factory.Clock.Advance(TimeSpan.FromMinutes(21));
        Assert.Equal(HttpStatusCode.Created, (await buyer.PurchaseAsync(sale.Id, quantity: 2)).StatusCode);
        var sold = await _factory.SettledStockAsync(sale.Id);
        Assert.Equal((150L, 2L), (sold.Total, sold.Sold));
    }

    [Fact]
    public async Task ASaleIsNotChangedOnceItStartsOrIsAboutTo()
    {
        var running = await _factory.CreateSaleAsync(stock: 10);
        var imminent = await _factory.CreateSaleAsync(stock: 10, startsIn: SaleAdmin.ChangeCutoff - TimeSpan.FromSeconds(1));
        using var admin = _factory.Admin();

        var tooLate = await PatchAsync(admin, running.Id, new { perUserLimit = 2 });
        Assert.Equal(HttpStatusCode.Conflict, tooLate.StatusCode);
        Assert.Equal("sale_started", await tooLate.ProblemCodeAsync());
        var alsoTooLate = await PatchAsync(admin, imminent.Id, new { stock = 5 });
        Assert.Equal("sale_started", await alsoTooLate.ProblemCodeAsync());

        Assert.Equal(running with { Remaining = 10 }, await GetSaleAsync(running.Id) with { Remaining = 10 });
        Assert.Equal(10, (await _factory.SettledStockAsync(imminent.Id)).Total);
    }

    [Theory]
    [InlineData("""{}""", "validation_failed")]
    [InlineData("""{"stock":0}""", "validation_failed")]
    [InlineData("""{"stock":10000001}""", "validation_failed")]
    [InlineData("""{"perUserLimit":0}""", "validation_failed")]
    [InlineData("""{"perUserLimit":11}""", "validation_failed")]
    [InlineData("""{"endsAt":"2000-01-01T00:00:00Z"}""", "validation_failed")]
    [InlineData("""{"startsAt":"2000-01-01T00:00:00Z"}""", "validation_failed")]
    [InlineData("""{"name":"renamed"}""", "invalid_json")]
    [InlineData("""{"stock":"ten"}""", "invalid_json")]
    [InlineData("""not json""", "invalid_json")]
    public async Task ABadChangeIsRefusedWithACodeAndChangesNothing(string body, string code)
    {
        var sale = await _factory.CreateSaleAsync(stock: 10, startsIn: TimeSpan.FromHours(1));
        using var admin = _factory.Admin();

        var response = await admin.PatchAsync($"/api/admin/sales/{sale.Id}", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(code, await response.ProblemCodeAsync());
        Assert.Equal(sale, await GetSaleAsync(sale.Id));
        var stock = await _factory.SettledStockAsync(sale.Id);
        Assert.Equal(10, stock.Total);
    }

    [Theory]
    [InlineData("PATCH", "/api/admin/sales/987654321", HttpStatusCode.NotFound, "sale_not_found")]
    [InlineData("POST", "/api/admin/sales/987654321/end", HttpStatusCode.NotFound, "sale_not_found")]
    [InlineData("POST", "/api/admin/sales/987654321/stock", HttpStatusCode.NotFound, "sale_not_found")]
    [InlineData("PATCH", "/api/admin/sales/abc", HttpStatusCode.BadRequest, "invalid_id")]
    [InlineData("POST", "/api/admin/sales/0/end", HttpStatusCode.BadRequest, "invalid_id")]
    [InlineData("POST", "/api/admin/sales/-4/stock", HttpStatusCode.BadRequest, "invalid_id")]
    [InlineData("GET", "/api/admin/sales/x/orders", HttpStatusCode.BadRequest, "invalid_id")]
    public async Task AnUnknownOrBadSaleIdIsRefusedWithACode(string method, string path, HttpStatusCode status, string code)
    {
        using var admin = _factory.Admin();
        var response = await admin.SendAsync(new HttpRequestMessage(new HttpMethod(method), path)
        {
            Content = method == "GET" ? null : new StringContent(path.EndsWith("/stock") ? """{"units":5}""" : """{"stock":5}""", Encoding.UTF8, "application/json"),
        });
        Assert.Equal(status, response.StatusCode);
        Assert.Equal(code, await response.ProblemCodeAsync());
    }

    [Fact]
    public async Task EndingASaleDuringABurstStopsItsBuyersAndSettlesEveryAcknowledgedOrder()
    {
        const int buyers = 3_000;
        var sale = await _factory.CreateSaleAsync(stock: 5_000);
        using var admin = _factory.Admin();
        using var client = _factory.CreateClient();
        using var inFlight = new SemaphoreSlim(64);
        var acknowledgedSoFar = 0;
        long endedAt = long.MaxValue;
        // A stream of buyers, 64 at a time; each notes when it was sent.
        var burst = Task.WhenAll(Enumerable.Range(1, buyers).Select(async user =>
        {
            await inFlight.WaitAsync();
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/sales/{sale.Id}/purchase")
                {
                    Content = new StringContent("""{"quantity":1}""", Encoding.UTF8, "application/json"),
                };
                request.Headers.Authorization = new("Bearer", _factory.Token(user));
                var sentAt = System.Diagnostics.Stopwatch.GetTimestamp();
                using var response = await client.SendAsync(request);
                var answer = response.StatusCode == HttpStatusCode.Conflict ? await response.ProblemCodeAsync() : response.StatusCode.ToString();
                if (answer is "Created" or "Accepted")
                {
                    Interlocked.Increment(ref acknowledgedSoFar);
                }
                return (Answer: answer, SentAt: sentAt);
            }
            finally
            {
                inFlight.Release();
            }
        }));
        await Eventually.TrueAsync(() => Task.FromResult(Volatile.Read(ref acknowledgedSoFar) >= 100), "the burst to have bought something");

        var end = await admin.PostAsync($"/api/admin/sales/{sale.Id}/end", null);
        Interlocked.Exchange(ref endedAt, System.Diagnostics.Stopwatch.GetTimestamp());
        Assert.Equal(HttpStatusCode.OK, end.StatusCode);
        Assert.Equal("ended", (await end.Content.ReadFromJsonAsync<SaleResponse>(Api.Json))!.Status);

        var answers = await burst;
        Assert.All(answers, answer => Assert.Contains(answer.Answer, new[] { "Created", "Accepted", "ended" }));
        // Nobody sent after the end's answer was sold anything (before it, in flight, they may be).
        Assert.DoesNotContain(answers, answer => answer.SentAt > endedAt && answer.Answer != "ended");
        Assert.Contains(answers, answer => answer.Answer == "ended");
        var acknowledged = answers.Count(answer => answer.Answer is "Created" or "Accepted");
        var settled = await _factory.SettledStockAsync(sale.Id);
        Assert.Equal((5_000L, (long)acknowledged), (settled.Total, settled.Sold));

        var again = await admin.PostAsync($"/api/admin/sales/{sale.Id}/end", null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("ended", await again.ProblemCodeAsync());
        Assert.Equal(acknowledged, (await _factory.SettledStockAsync(sale.Id)).Sold);
    }

    [Fact]
    public async Task ASaleEndedWithoutItsNewsIsRefusedAfterTheNextRefresh()
    {
        // Ended in storage only, as if its news had been lost on the way to this instance.
        var sale = await _factory.CreateSaleAsync(stock: 10);
        _factory.ExecuteSql($"UPDATE sales SET ends_at = {_factory.Clock.GetUtcNow().ToUnixTimeMilliseconds()} WHERE id = {sale.Id}");

        await _factory.Get<SaleDirectory>().RefreshAsync(CancellationToken.None);

        using var buyer = _factory.ClientFor(4);
        Assert.Equal("ended", await (await buyer.PurchaseAsync(sale.Id)).ProblemCodeAsync());
    }

    [Fact]
    public async Task AnUpcomingSaleEndedNeverStarts()
    {
        var sale = await _factory.CreateSaleAsync(stock: 10, startsIn: TimeSpan.FromMinutes(5));
        using var admin = _factory.Admin();
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/admin/sales/{sale.Id}/end", null)).StatusCode);
        _factory.Clock.Advance(TimeSpan.FromMinutes(6));
        using var buyer = _factory.ClientFor(3);
        Assert.Equal("ended", await (await buyer.PurchaseAsync(sale.Id)).ProblemCodeAsync());
        Assert.Equal("ended", (await GetSaleAsync(sale.Id)).Status);
    }

    [Fact]
    public async Task StockAddedToASoldOutSaleIsSold()
    {
        var sale = await _factory.CreateSaleAsync(stock: 50);
        var first = await _factory.CrowdAsync(sale.Id, 200);
        Assert.Equal(50, first.Count(answer => answer == "Created"));
        Assert.Equal(150, first.Count(answer => answer == "sold_out"));
        using var admin = _factory.Admin();

        var added = await admin.PostAsJsonAsync($"/api/admin/sales/{sale.Id}/stock", new { units = 30 });
        Assert.Equal(HttpStatusCode.OK, added.StatusCode);
        Assert.Equal(80, (await added.Content.ReadFromJsonAsync<SaleResponse>(Api.Json))!.Stock);

        // New buyers (users 1000+): thirty get the new units, then it is sold out again.
        var answers = await Task.WhenAll(Enumerable.Range(1000, 100).Select(async user =>
        {
            using var buyer = _factory.ClientFor(user);
            var response = await buyer.PurchaseAsync(sale.Id);
            return response.StatusCode == HttpStatusCode.Conflict ? await response.ProblemCodeAsync() : response.StatusCode.ToString();
        }));
        Assert.Equal(30, answers.Count(answer => answer == "Created"));
        Assert.Equal(70, answers.Count(answer => answer == "sold_out"));
        var settled = await _factory.SettledStockAsync(sale.Id);
        Assert.Equal((80L, 80L), (settled.Total, settled.Sold));
    }

    [Theory]
    [InlineData("""{}""", "validation_failed")]
    [InlineData("""{"units":0}""", "validation_failed")]
    [InlineData("""{"units":-5}""", "validation_failed")]
    [InlineData("""{"units":9999999}""", "validation_failed")]
    [InlineData("""{"units":5,"extra":1}""", "invalid_json")]
    [InlineData("""{"units":1.5}""", "invalid_json")]
    public async Task BadStockToAddIsRefusedWithACodeAndChangesNothing(string body, string code)
    {
        var sale = await _factory.CreateSaleAsync(stock: 10);
        using var admin = _factory.Admin();

        var response = await admin.PostAsync($"/api/admin/sales/{sale.Id}/stock", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(code, await response.ProblemCodeAsync());
        Assert.Equal(10, (await _factory.SettledStockAsync(sale.Id)).Total);
    }

    [Fact]
    public async Task NoStockIsAddedToAnEndedSale()
    {
        var sale = await _factory.CreateSaleAsync(stock: 10);
        using var admin = _factory.Admin();
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/admin/sales/{sale.Id}/end", null)).StatusCode);

        var response = await admin.PostAsJsonAsync($"/api/admin/sales/{sale.Id}/stock", new { units = 5 });

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("ended", await response.ProblemCodeAsync());
        Assert.Equal(10, (await _factory.SettledStockAsync(sale.Id)).Total);
    }

    private static Task<HttpResponseMessage> PatchAsync(HttpClient admin, long saleId, object body) =>
        admin.PatchAsJsonAsync($"/api/admin/sales/{saleId}", body);

    private async Task<SaleResponse> GetSaleAsync(long saleId)
    {
        using var admin = _factory.Admin();
        return (await admin.GetFromJsonAsync<SaleResponse>($"/api/sales/{saleId}", Api.Json))!;
    }

    private static async Task<PageResponse<SaleResponse>> ListAsync(HttpClient admin, string query)
    {
        var response = await admin.GetAsync("/api/admin/sales" + query);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<PageResponse<SaleResponse>>(Api.Json))!;
    }
}
