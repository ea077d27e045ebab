using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Seckill.Web.Gate;
using Seckill.Web.Ops;
using Seckill.Web.Tests.Infrastructure;

namespace Seckill.Web.Tests.Endpoints;

public sealed class MetricsTests
{
    [Fact]
    public async Task PurchaseOutcomesAreCountedByCodeInTheAdminEndpointAndTheMeter()
    {
        using var factory = new SeckillFactory();
        var sale = await factory.CreateSaleAsync(stock: 1);
        var tokenSale = await factory.CreateSaleAsync(stock: 1, requireToken: true);
        using var first = factory.ClientFor(1001);
        using var second = factory.ClientFor(1002);
        using var anonymous = factory.CreateClient();
        using var script = factory.ClientFor(1003);
        script.DefaultRequestHeaders.UserAgent.Clear();
        script.DefaultRequestHeaders.UserAgent.ParseAdd("curl/8.5.0");

        Assert.Equal(HttpStatusCode.Created, (await first.PurchaseAsync(sale.Id)).StatusCode);
        await first.PurchaseAsync(sale.Id);               // already_purchased
        await second.PurchaseAsync(sale.Id);              // sold_out
        await second.PurchaseAsync(424_242);              // unknown_sale
        await second.PurchaseAsync(sale.Id, quantity: 0); // invalid_request
        await second.PurchaseAsync(tokenSale.Id);         // bad_token
        await anonymous.PurchaseAsync(sale.Id);           // unauthorized
        await script.PurchaseAsync(sale.Id);              // bot_suspected

        var expected = new Dictionary<string, long>
        {
            ["accepted"] = 1, ["already_purchased"] = 1, ["sold_out"] = 1, ["unknown_sale"] = 1,
            ["invalid_request"] = 1, ["bad_token"] = 1, ["unauthorized"] = 1, ["bot_suspected"] = 1, ["blacklisted"] = 0,
        };

        using var admin = factory.Admin();
        var body = await admin.GetFromJsonAsync<JsonElement>("/api/admin/metrics");
        var purchases = body.GetProperty("purchases");
        foreach (var (code, count) in expected)
        {
            Assert.True(count == purchases.GetProperty(code).GetInt64(), $"{code}: expected {count}, endpoint says {purchases.GetProperty(code)}");
        }

        // The same numbers through System.Diagnostics.Metrics, as an exporter would read them.
        var observed = new Dictionary<string, long>();
        var meters = factory.Get<IMeterFactory>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Scope == meters && instrument.Name == "seckill.purchase.requests")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) => observed[(string)tags[0].Value!] = value);
        listener.Start();
        listener.RecordObservableInstruments();
        foreach (var (code, count) in expected)
        {
            Assert.Equal(count, observed[code]);
        }
        Assert.Equal(PurchaseMetrics.Codes.Order(), observed.Keys.Order());
    }
}
