using System.Net;
using System.Net.Http.Json;
using Seckill.Web.Gate;
using Seckill.Web.Tests.Infrastructure;

namespace Seckill.Web.Tests.Endpoints;

public sealed class PurchaseTokenTests
{
    private static async Task<string> TokenAsync(HttpClient client, long saleId)
    {
        var response = await client.GetAsync($"/api/sales/{saleId}/token");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<PurchaseTokenResponse>(Api.Json))!.Token;
    }

    private static Task<HttpResponseMessage> PurchaseWithTokenAsync(HttpClient client, long saleId, string token) =>
        client.PostAsJsonAsync($"/api/sales/{saleId}/purchase", new { quantity = 1, token });

    private static async Task AssertBadTokenAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("bad_token", await response.ProblemCodeAsync());
    }

    [Fact]
    public async Task ATokenSaleSellsOnlyWithTheBuyersOwnToken()
    {
        using var factory = new SeckillFactory();
        var sale = await factory.CreateSaleAsync(stock: 10, requireToken: true);
        Assert.True(sale.RequireToken);
        using var alice = factory.ClientFor(5);
        using var bob = factory.ClientFor(6);

        await AssertBadTokenAsync(await alice.PurchaseAsync(sale.Id));
        await AssertBadTokenAsync(await PurchaseWithTokenAsync(alice, sale.Id, "forged"));

        var aliceToken = await TokenAsync(alice, sale.Id);
        // Bob cannot use Alice's token, in the body or the header.
        await AssertBadTokenAsync(await PurchaseWithTokenAsync(bob, sale.Id, aliceToken));
        using (var request = new HttpRequestMessage(HttpMethod.Post, $"/api/sales/{sale.Id}/purchase") { Content = JsonContent.Create(new { quantity = 1 }) })
        {
            request.Headers.Add(PurchaseTokenApi.Header, aliceToken);
            await AssertBadTokenAsync(await bob.SendAsync(request));
        }
        Assert.Equal(0, (await factory.SettledStockAsync(sale.Id)).Sold);

        Assert.Equal(HttpStatusCode.Created, (await PurchaseWithTokenAsync(alice, sale.Id, aliceToken)).StatusCode);
        using (var request = new HttpRequestMessage(HttpMethod.Post, $"/api/sales/{sale.Id}/purchase") { Content = JsonContent.Create(new { quantity = 1 }) })
        {
            request.Headers.Add(PurchaseTokenApi.Header, await TokenAsync(bob, sale.Id));
            Assert.Equal(HttpStatusCode.Created, (await bob.SendAsync(request)).StatusCode);
        }
        Assert.Equal(2, (await factory.SettledStockAsync(sale.Id)).Sold);
    }

    [Fact]
    public async Task TokensAreIssuedOnlyWhileTheSaleRuns()
    {
        using var factory = new SeckillFactory();
        var sale = await factory.CreateSaleAsync(requireToken: true, startsIn: TimeSpan.FromMinutes(10), lasts: TimeSpan.FromMinutes(10));
        using var buyer = factory.ClientFor(5);

        var early = await buyer.GetAsync($"/api/sales/{sale.Id}/token");
        Assert.Equal(HttpStatusCode.Conflict, early.StatusCode);
        Assert.Equal("not_started", await early.ProblemCodeAsync());

        factory.Clock.Advance(TimeSpan.FromMinutes(11));
        await TokenAsync(buyer, sale.Id);

        factory.Clock.Advance(TimeSpan.FromMinutes(10));
        var late = await buyer.GetAsync($"/api/sales/{sale.Id}/token");
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
        Assert.Equal("ended", await late.ProblemCodeAsync());
    }

    [Fact]
    public async Task AnExpiredTokenOrOneForAnotherSaleIsRefused()
    {
        using var factory = new SeckillFactory();
        var first = await factory.CreateSaleAsync(requireToken: true);
        var second = await factory.CreateSaleAsync(requireToken: true);
        using var buyer = factory.ClientFor(5);

        var token = await TokenAsync(buyer, first.Id);
        await AssertBadTokenAsync(await PurchaseWithTokenAsync(buyer, second.Id, token));

        factory.Clock.Advance(TimeSpan.FromSeconds(62));
        await AssertBadTokenAsync(await PurchaseWithTokenAsync(buyer, first.Id, token));
        Assert.Equal(0, (await factory.SettledStockAsync(first.Id)).Sold);
    }

    [Fact]
    public async Task ASaleWithoutTokensIgnoresThem()
    {
        using var factory = new SeckillFactory();
        var sale = await factory.CreateSaleAsync();
        Assert.False(sale.RequireToken);
        using var buyer = factory.ClientFor(5);
        Assert.Equal(HttpStatusCode.Created, (await PurchaseWithTokenAsync(buyer, sale.Id, "anything")).StatusCode);
    }
}
