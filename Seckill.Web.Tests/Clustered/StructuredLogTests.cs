using System.Net;
using System.Text.Json;
using Seckill.Web.Tests.Infrastructure;
using Xunit.Abstractions;
using static Seckill.Web.Tests.Infrastructure.ProcessBuyers;

namespace Seckill.Web.Tests.Clustered;

/// <summary>
/// Production's console is JSON lines. A line of the purchase path names the request, the
/// instance and the sale (logging scopes); a purchase that goes well writes no line at all. The
/// failure logged is a real one: the instance's shard Redis cut off behind a proxy.
/// </summary>
[Collection(ProcessClusters.Name)]
public sealed class StructuredLogTests(ITestOutputHelper output)
{
    private const int Instance = 7;

    [Fact]
    public async Task PurchasePathLinesAreJsonWithTheRequestInstanceAndSaleAndAGoodPurchaseWritesNone()
    {
        using var store = new TestStore(StorageMode.Clustered);
        using var logs = new TempDirectory();
        using var shardLink = new TcpProxy(TestServers.Redis.Port);
        var settings = SeckillProcess.InstanceSettings(store, Instance, store, new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Redis:Shard"] = shardLink.Configuration(store.Settings["Redis:Shard"]!),
            // The shipped levels (appsettings.json): Information, Microsoft.AspNetCore at Warning,
            // Microsoft.AspNetCore.Hosting.Diagnostics off.
            ["Logging:LogLevel:Default"] = "Information",
        });
        using var service = await SeckillProcess.StartAsync(settings, logs.Path);
        var good = await service.CreateSaleAsync(10);
        var failing = await service.CreateSaleAsync(10);
        using var buyers = Client(service);

        var (status, _, _) = await BuyAsync(buyers, good.Id, 1001);
        Assert.True(status is HttpStatusCode.Created or HttpStatusCode.Accepted, $"the good purchase: {status}");

        shardLink.Cut();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await BuyAsync(buyers, failing.Id, 1002)).Status);
        JsonElement warning = default;
        await Eventually.TrueAsync(() =>
        {
            var found = Lines(service.Log).Where(line => line.GetProperty("Category").GetString() == "Seckill.Web.Purchasing.PurchaseLog").ToList();
            warning = found.FirstOrDefault();
            return Task.FromResult(found.Count > 0);
        }, () => $"the purchase's warning; log:\n{service.Log}");

        output.WriteLine(warning.GetRawText());
        Assert.Equal("Warning", warning.GetProperty("LogLevel").GetString());
        var fields = ScopeFields(warning);
        Assert.Equal($"/api/sales/{failing.Id}/purchase", fields["RequestPath"].GetString());
        // ASP.NET Core's request scope is not made: with it comes an Activity for every request.
        Assert.False(fields.ContainsKey("RequestId"), "the hosting's request scope is off in the shipped settings");
        Assert.Equal(Instance, fields["InstanceId"].GetInt32());
        Assert.Equal(failing.Id, fields["SaleId"].GetInt64());

        // The console writes in order: the failing purchase's line is out, so any line of the good
        // purchase (earlier) would be too. Every line of the process is JSON (Lines parses them all).
        var goodPath = $"/api/sales/{good.Id}/purchase";
        Assert.DoesNotContain(Lines(service.Log), line => ScopeFields(line).TryGetValue("RequestPath", out var path) && path.GetString() == goodPath);
    }

    /// <summary>
    /// Every whole line of the log parsed: one JSON object per line, or the test fails naming the
    /// line. Only whole lines: the process may be writing the last one (a long line reaches the
    /// file in pieces of 4,096 bytes; a CI run once read one cut there).
    /// </summary>
    private static List<JsonElement> Lines(string log) =>
        log[..(log.LastIndexOf('\n') + 1)].Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(line =>
        {
            try
            {
                using var document = JsonDocument.Parse(line);
                return document.RootElement.Clone();
            }
            catch (JsonException e)
            {
                throw new Xunit.Sdk.XunitException($"not a JSON line ({e.Message}): {line}");
            }
        }).ToList();

    /// <summary>The fields of every scope of a line (the JSON console writes each scope as an object in <c>Scopes</c>).</summary>
    private static Dictionary<string, JsonElement> ScopeFields(JsonElement line)
    {
        var fields = new Dictionary<string, JsonElement>();
        if (line.TryGetProperty("Scopes", out var scopes))
        {
            foreach (var scope in scopes.EnumerateArray().Where(scope => scope.ValueKind == JsonValueKind.Object))
            {
                foreach (var field in scope.EnumerateObject())
                {
                    fields[field.Name] = field.Value;
                }
            }
        }
        return fields;
    }
}
