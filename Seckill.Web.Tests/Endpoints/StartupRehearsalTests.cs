using System.Net;
using System.Text.Json;
using Seckill.Web.Tests.Infrastructure;
using static Seckill.Web.Tests.Infrastructure.ProcessBuyers;

namespace Seckill.Web.Tests.Endpoints;

/// <summary>
/// The startup rehearsal (Ops/StartupRehearsal), in a real process: the instance sells a private
/// twin's sale before it starts, and nothing of it reaches the instance (its database, its metrics,
/// its temporary folder); a rehearsal that cannot finish delays the start by its timeout, no more.
/// </summary>
public sealed class StartupRehearsalTests
{
    [Fact]
    public async Task TheInstanceRehearsesASaleOnItsTwinAndKeepsNothingOfIt()
    {
        using var store = new TestStore();
        using var temporary = new TempDirectory();
        using var service = await SeckillProcess.StartAsync(new Dictionary<string, string?>(store.Settings)
        {
            ["Rehearsal:Enabled"] = "true",
            ["Rehearsal:Buyers"] = "300",
            ["Rehearsal:Stock"] = "100",
            ["Logging:LogLevel:Seckill.Web.Ops.StartupRehearsal"] = "Information",
            // The twin's folder (its SQLite file) goes here, where the test can see it is gone.
            ["TMPDIR"] = temporary.Path,
        }, store.DataDirectory);

        // Ready means rehearsed: the hosted service finishes before the instance listens (its lines
        // may still be on their way to the log).
        await service.LogShowsAsync("Rehearsed the purchase path on a private twin");
        await service.LogShowsAsync("300 buyers, 100 orders, 50 paid, 200 told sold out");
        Assert.Empty(Directory.EnumerateDirectories(temporary.Path, "seckill-rehearsal-*"));

        using var admin = service.ClientFor(1, admin: true);
        using var sales = JsonDocument.Parse(await admin.GetStringAsync("/api/admin/sales"));
        Assert.Equal(0, sales.RootElement.GetProperty("total").GetInt64());
        var metrics = await admin.GetStringAsync("/metrics");
        Assert.Contains("seckill_purchase_requests_total", metrics);
        Assert.DoesNotMatch(@"(?m)^seckill_purchase_requests_total\{[^}]*\} [1-9]", metrics);

        // And the instance sells as it would have without.
        var sale = await service.CreateSaleAsync(1);
        using var buyers = Client(service);
        var (status, _, _) = await BuyAsync(buyers, sale.Id, 1001);
        Assert.True(status is HttpStatusCode.Created or HttpStatusCode.Accepted, $"the purchase: {status}");
        Assert.Equal("sold_out", (await BuyAsync(buyers, sale.Id, 1002)).Code);
    }

    [Fact]
    public async Task ARehearsalThatCannotFinishInTimeIsLoggedAndTheInstanceStartsAnyway()
    {
        using var store = new TestStore();
        using var service = await SeckillProcess.StartAsync(new Dictionary<string, string?>(store.Settings)
        {
            ["Rehearsal:Enabled"] = "true",
            // Far more buyers than one second serves, on any machine.
            ["Rehearsal:Buyers"] = "100000",
            ["Rehearsal:Stock"] = "100000",
            ["Rehearsal:TimeoutSeconds"] = "1",
        }, store.DataDirectory);

        await service.LogShowsAsync("The startup rehearsal failed");
        var sale = await service.CreateSaleAsync(1);
        using var buyers = Client(service);
        Assert.True((await BuyAsync(buyers, sale.Id, 1001)).Status is HttpStatusCode.Created or HttpStatusCode.Accepted);
    }
}
