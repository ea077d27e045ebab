using Seckill.Load;
using Seckill.Load.Drive;
using Seckill.Load.Measure;
using Seckill.Load.Scenarios;
using Seckill.Load.Verify;
using Seckill.Web.Tests.Infrastructure;

namespace Seckill.Web.Tests.Promises;

/// <summary>
/// The load tool (load/Seckill.Load) against a real service process, in the storage mode of the
/// run: its verification must pass when the service keeps its promises, and must fail when what
/// the buyers were told and what the service holds disagree.
/// </summary>
public sealed class LoadToolTests
{
    private static LoadOptions Options(SeckillProcess service, string output) => new()
    {
        Target = service.BaseAddress,
        SigningKey = SeckillProcess.SigningKey,
        Output = output,
        Addresses = 256,
        Warmup = TimeSpan.FromMilliseconds(500),
        DrainTimeout = TimeSpan.FromMinutes(2),
    };

    [Fact]
    public async Task AMixedCrowdSellsExactlyTheStockAndTheToolVerifiesAndReportsIt()
    {
        using var store = new TestStore();
        using var service = await SeckillProcess.StartAsync(store.Settings, store.DataDirectory);
        var output = Path.Combine(store.DataDirectory, "report");
        var options = Options(service, output) with { Scenario = "mixed", Rate = 2000, Requests = 4000, Stock = 300, PayShare = 0.5, MaxErrorRate = 0 };

        var report = await LoadRun.RunAsync(options, TextWriter.Null, CancellationToken.None);
        Seckill.Load.Reports.ReportFiles.Write(report, output);

        Assert.True(report.Passed, Seckill.Load.Reports.MarkdownReport.Render(report));
        Assert.Equal((4000L, 4000L, 0L), (report.ArrivalsSent, report.ArrivalsAnswered, report.Errors));
        var stock = report.Verification!.Stock!;
        Assert.Equal((300L, 300L), (stock.Total, stock.Sold));
        var purchase = report.Operation(Scenario.Purchase)!.Outcomes;
        Assert.True(purchase.GetValueOrDefault("409 sold_out") > 0);
        Assert.True(purchase.GetValueOrDefault("403 bot_suspected") > 0);
        Assert.True(report.Operation(Scenario.UnknownSale)!.Outcomes.GetValueOrDefault("404 sale_not_found") > 0);
        var bad = report.Operation(Scenario.BadRequest)!.Outcomes;
        Assert.All(["400 invalid_quantity", "400 invalid_json", "401 unauthorized", "415 unsupported_media_type", "400 invalid_id"],
            answer => Assert.True(bad.GetValueOrDefault(answer) > 0, answer));
        // The warm-up read the sale and bought only from a sale that does not exist: every one of its
        // answers is one of these two, and the verification above found nothing it bought.
        Assert.Equal(["warm-up purchase: 404 sale_not_found", "warm-up read: 200"], report.WarmUp.Keys);
        Assert.All(report.WarmUp.Values, count => Assert.True(count > 0));
        Assert.All(["report.md", "report.html", "report.json"], file => Assert.True(File.Exists(Path.Combine(output, file)), file));
        // Verified, then ended: a benchmark's sale does not stay running for hours behind the next run.
        using var http = new HttpClient { BaseAddress = service.BaseAddress };
        Assert.Contains("\"status\":\"ended\"", await http.GetStringAsync($"/api/sales/{report.SaleId}"));
    }

    /// <summary>The <c>bare</c> scenario: flash-sale's requests to the do-nothing endpoint, every one answered as expected, nothing to verify.</summary>
    [Fact]
    public async Task TheBareScenarioDrivesTheBareEndpointAndVerifiesNothing()
    {
        using var store = new TestStore();
        using var service = await SeckillProcess.StartAsync(new Dictionary<string, string?>(store.Settings) { ["Ops:BareEndpoint"] = "true" }, store.DataDirectory);
        var output = Path.Combine(store.DataDirectory, "report");
        var options = Options(service, output) with { Scenario = "bare", Rate = 2000, Requests = 3000, Stock = 10, MaxErrorRate = 0 };

        var report = await LoadRun.RunAsync(options, TextWriter.Null, CancellationToken.None);

        Assert.True(report.Passed, Seckill.Load.Reports.MarkdownReport.Render(report));
        Assert.Equal((3000L, 3000L, 0L), (report.ArrivalsSent, report.ArrivalsAnswered, report.Errors));
        Assert.Equal(3000, report.Operation(Scenario.Purchase)!.Outcomes.GetValueOrDefault("409 sold_out"));
        Assert.Null(report.Verification);
        var stock = await service.StockAsync(report.SaleId);
        Assert.Equal((10L, 0L), (stock.Pool + stock.Available, stock.Sold));
    }

    [Fact]
    public async Task TheVerificationFailsOnALostOrderAndOnStrandedStock()
    {
        using var store = new TestStore();
        using var service = await SeckillProcess.StartAsync(store.Settings, store.DataDirectory);
        var options = Options(service, store.DataDirectory) with { Stock = 10 };
        var tokens = new TokenMint(options.SigningKey);
        using var http = new HttpClient { BaseAddress = service.BaseAddress };
        var admin = new AdminApi(http, tokens);
        var saleId = await admin.CreateSaleAsync(10, "verification check", CancellationToken.None);
        using var clients = new ClientPool(service.BaseAddress, 4, 0, TimeSpan.FromSeconds(30));
        var run = new SaleRun(options, new Sender(new Recorder(0, Scenario.Operations)), tokens, saleId, clients, clients);

        // A buyer was told 201 for an order the service never made, and another was told sold_out
        // while all 10 units are still on sale.
        run.Judged(new Reply(201, null, OrderId: 4_242_424_242, OrderStatus: "awaiting_payment"), userId: 5);
        run.Judged(new Reply(409, "sold_out"), userId: 6);

        var result = await new Verification(admin, run, transportErrors: 0).RunAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
        Assert.False(result.Passed);
        var failed = result.Checks.Where(c => !c.Passed).Select(c => c.Name).ToList();
        Assert.Contains("every acknowledged order found", failed);
        Assert.Contains("nothing stranded (sold = stock after a sold_out answer)", failed);
        Assert.DoesNotContain("conservation", failed);
    }
}
