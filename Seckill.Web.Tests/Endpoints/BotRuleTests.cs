using System.Net;
using Seckill.Web.Tests.Infrastructure;

namespace Seckill.Web.Tests.Endpoints;

public sealed class BotRuleTests
{
    [Theory]
    [InlineData("curl/8.5.0")]
    [InlineData("python-requests/2.31.0")]
    [InlineData("Go-http-client/1.1")]
    [InlineData(null)]
    public async Task ScriptsAreRefusedOnTheBuyingRoutesOnly(string? agent)
    {
        using var factory = new SeckillFactory();
        var sale = await factory.CreateSaleAsync();
        using var script = factory.ClientFor(9);
        script.DefaultRequestHeaders.UserAgent.Clear();
        if (agent is not null)
        {
            script.DefaultRequestHeaders.UserAgent.ParseAdd(agent);
        }

        var purchase = await script.PurchaseAsync(sale.Id);
        Assert.Equal(HttpStatusCode.Forbidden, purchase.StatusCode);
        Assert.Equal("bot_suspected", await purchase.ProblemCodeAsync());
        Assert.Equal("bot_suspected", await (await script.GetAsync($"/api/sales/{sale.Id}/token")).ProblemCodeAsync());
        Assert.Equal(0, (await factory.SettledStockAsync(sale.Id)).Sold);

        // Reading a sale page is not buying.
        Assert.Equal(HttpStatusCode.OK, (await script.GetAsync($"/api/sales/{sale.Id}")).StatusCode);
    }

    [Fact]
    public async Task RulesConfiguredOffLetScriptsBuy()
    {
        using var factory = new SeckillFactory(new Dictionary<string, string?> { ["Gate:Bots:Enabled"] = "false" });
        var sale = await factory.CreateSaleAsync();
        using var script = factory.ClientFor(9);
        script.DefaultRequestHeaders.UserAgent.Clear();
        script.DefaultRequestHeaders.UserAgent.ParseAdd("curl/8.5.0");
        Assert.Equal(HttpStatusCode.Created, (await script.PurchaseAsync(sale.Id)).StatusCode);
    }

    [Fact]
    public async Task AConfiguredAgentListReplacesTheDefaults()
    {
        using var factory = new SeckillFactory(new Dictionary<string, string?> { ["Gate:Bots:BlockedAgents:0"] = "SneakerBot" });
        var sale = await factory.CreateSaleAsync(stock: 5);
        using var sneaker = factory.ClientFor(9);
        sneaker.DefaultRequestHeaders.UserAgent.Clear();
        sneaker.DefaultRequestHeaders.UserAgent.ParseAdd("SneakerBot/2.0");
        Assert.Equal("bot_suspected", await (await sneaker.PurchaseAsync(sale.Id)).ProblemCodeAsync());

        using var curl = factory.ClientFor(10);
        curl.DefaultRequestHeaders.UserAgent.Clear();
        curl.DefaultRequestHeaders.UserAgent.ParseAdd("curl/8.5.0");
        Assert.Equal(HttpStatusCode.Created, (await curl.PurchaseAsync(sale.Id)).StatusCode);
    }
}
