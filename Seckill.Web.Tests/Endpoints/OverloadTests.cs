using System.Net.Http.Json;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Seckill.Web.Gate;
using Seckill.Web.Ops;
using Seckill.Web.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Seckill.Web.Tests.Endpoints;

/// <summary>
/// Overload control as buyers see it: while the instance is overloaded, an admitted buyer is told
/// 503 <c>overloaded</c> before anything is reserved, the refusals decided in memory are answered
/// as always, and every promise holds. The overload itself is played by a switch standing in for
/// the queue-delay probe (the decision is <c>Unit/LoadShedderTests</c>'s).
/// </summary>
public sealed class OverloadTests : IDisposable
{
    /// <summary>Overloaded while <see cref="On"/>; or, with <see cref="Every"/> > 0, for one purchase in every that many.</summary>
    private sealed class OverloadSwitch : IOverloadSignal
    {
        private long _asked;
        public volatile bool On;
        public int Every;

        public bool Overloaded => On || (Every > 0 && Interlocked.Increment(ref _asked) % Every == 0);
    }

    private readonly OverloadSwitch _overload = new();
    private readonly ITestOutputHelper _output;

    public OverloadTests(ITestOutputHelper output)
    {
        _output = output;
        Factory = new SeckillFactory(services: services => services.Replace(ServiceDescriptor.Singleton<IOverloadSignal>(_overload)));
    }

    private SeckillFactory Factory { get; }

    public void Dispose() => Factory.Dispose();

    [Fact]
    public async Task WhileOverloadedABuyerIsToldToRetryAndNothingIsReserved()
    {
        var sale = await Factory.CreateSaleAsync(stock: 10);
        var soldOut = await Factory.CreateSaleAsync(stock: 1);
        var upcoming = await Factory.CreateSaleAsync(stock: 10, startsIn: TimeSpan.FromHours(1));
        using var winner = Factory.ClientFor(1);
        Assert.Equal(HttpStatusCode.Created, (await winner.PurchaseAsync(sale.Id)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await winner.PurchaseAsync(soldOut.Id)).StatusCode);
        // The instance learns a sale is sold out from a buyer who finds it so (the sold-out board).
        using var late = Factory.ClientFor(3);
        Assert.Equal("sold_out", await (await late.PurchaseAsync(soldOut.Id)).ProblemCodeAsync());
        var before = await Factory.SettledStockAsync(sale.Id);

        _overload.On = true;
        using var buyer = Factory.ClientFor(2);
        var shed = await buyer.PurchaseAsync(sale.Id);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, shed.StatusCode);
        Assert.Equal("overloaded", await shed.ProblemCodeAsync());
        Assert.Equal("1", shed.Headers.RetryAfter?.ToString());

        // What is decided in memory is answered as always: nobody is told sold_out by the shedding.
        Assert.Equal("sold_out", await (await buyer.PurchaseAsync(soldOut.Id)).ProblemCodeAsync());
        Assert.Equal("not_started", await (await buyer.PurchaseAsync(upcoming.Id)).ProblemCodeAsync());
        Assert.Equal("already_purchased", await (await winner.PurchaseAsync(sale.Id)).ProblemCodeAsync());

        var during = await Factory.SettledStockAsync(sale.Id);
        Assert.Equal((before.Sold, before.Available, before.Pool), (during.Sold, during.Available, during.Pool));
        Assert.Equal(1, Factory.Get<PurchaseMetrics>()[PurchaseResult.Overloaded]);

        // The retry after the overload is served.
        _overload.On = false;
        Assert.Equal(HttpStatusCode.Created, (await buyer.PurchaseAsync(sale.Id)).StatusCode);
        Assert.Equal(before.Sold + 1, (await Factory.SettledStockAsync(sale.Id)).Sold);
    }

    [Fact]
    public async Task SheddingDuringABurstLosesNoOrderOversellsNothingAndTellsNobodySoldOutWhileStockRemains()
    {
        const int stock = 300, buyers = 3_000;
        var sale = await Factory.CreateSaleAsync(stock: stock);
        _overload.Every = 3;
        var answers = await Factory.CrowdAsync(sale.Id, buyers);
        _output.WriteLine(string.Join(", ", answers.GroupBy(a => a).OrderBy(g => g.Key).Select(g => $"{g.Key} x{g.Count()}")));

        var shed = answers.Count(a => a == "overloaded");
        var won = answers.Count(a => a is "Created" or "Accepted");
        Assert.InRange(shed, 1, buyers - 1);
        Assert.Equal(buyers, shed + won + answers.Count(a => a == "sold_out"));
        var settled = await Factory.SettledStockAsync(sale.Id);
        Assert.Equal(won, settled.Sold);
        Assert.True(settled.Sold <= stock, $"oversold: {settled.Sold} of {stock}");
        if (answers.Contains("sold_out"))
        {
            Assert.Equal(stock, settled.Sold);
        }
        Assert.Equal(shed, Factory.Get<PurchaseMetrics>()[PurchaseResult.Overloaded]);
    }

    [Fact]
    public async Task WhileTheOrderWriterIsBehindNewBuyersAreToldToRetryAndTheQueuedOrdersAreStillWritten()
    {
        // Overload control on, the queue-delay probe played by the switch (off): only the writer's
        // own delay can shed here.
        using var factory = new SeckillFactory(
            new Dictionary<string, string?> { ["Overload:Enabled"] = "true", ["Overload:MaxOrderWaitMs"] = "200", ["Orders:ConfirmWaitMs"] = "0" },
            services: services => services.Replace(ServiceDescriptor.Singleton<IOverloadSignal>(new OverloadSwitch())));
        var sale = await factory.CreateSaleAsync(stock: 1_000);
        var queued = new List<(HttpClient Buyer, long OrderId)>();
        HttpClient? shed = null;
        try
        {
            using (factory.Store.HoldOrderWrites(sale.Id))
            {
                // A new buyer at a time: those before the first queued order has waited 200 ms are
                // queued (202); once it has, a buyer is shed before anything is reserved.
                var user = 0L;
                await Eventually.TrueAsync(async () =>
                {
                    var buyer = factory.ClientFor(++user);
                    using var response = await buyer.PurchaseAsync(sale.Id);
                    if (response.StatusCode == HttpStatusCode.Accepted)
                    {
                        queued.Add((buyer, (await response.ReadPurchaseAsync()).OrderId));
                        return false;
                    }
                    Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
                    Assert.Equal("overloaded", await response.ProblemCodeAsync());
                    shed = buyer;
                    return true;
                }, "a buyer arriving while the writer is behind is told overloaded");
                Assert.NotEmpty(queued);
                Assert.Equal(queued.Count, (await factory.StockAsync(sale.Id)).Reserved);
                Assert.Equal(1, factory.Get<PurchaseMetrics>()[PurchaseResult.Overloaded]);
            }

            // The writer catches up: every queued order is written, and the shed buyer's retry is served.
            foreach (var (buyer, orderId) in queued)
            {
                await Eventually.TrueAsync(async () =>
                {
                    using var order = await buyer.GetAsync($"/api/orders/{orderId}");
                    return (await order.Content.ReadFromJsonAsync<Seckill.Web.Orders.OrderResponse>(Api.Json))!.Status == "awaiting_payment";
                }, $"queued order {orderId} is written");
            }
            await Eventually.TrueAsync(async () =>
            {
                using var retry = await shed!.PurchaseAsync(sale.Id);
                return retry.StatusCode is HttpStatusCode.Created or HttpStatusCode.Accepted;
            }, "the shed buyer's retry is served once the writer caught up");
            Assert.Equal(queued.Count + 1, (await factory.SettledStockAsync(sale.Id)).Sold);
        }
        finally
        {
            shed?.Dispose();
            queued.ForEach(q => q.Buyer.Dispose());
        }
    }
}
