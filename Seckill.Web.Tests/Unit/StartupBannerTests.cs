using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Seckill.Web.Storage;

namespace Seckill.Web.Tests.Unit;

public sealed class StartupBannerTests
{
    [Theory]
    [InlineData("http://localhost:5000", "http://localhost:5000")]
    [InlineData("http://127.0.0.1:5005/", "http://127.0.0.1:5005")]
    [InlineData("http://[::]:5000", "http://localhost:5000")]
    [InlineData("http://0.0.0.0:8080", "http://localhost:8080")]
    [InlineData("http://+:80", "http://localhost:80")]
    public void TheUrlIsOneAClientCanUse(string listening, string printed) =>
        Assert.Equal(printed, StartupBanner.BaseUrl([listening]));

    [Fact]
    public void AnHttpAddressIsPreferredToAnHttpsOne() =>
        Assert.Equal("http://localhost:5000", StartupBanner.BaseUrl(["https://localhost:5001", "http://localhost:5000"]));

    [Fact]
    public void TheClusteredStoresAreNamedWithoutTheirPasswords()
    {
        var services = new ServiceCollection();
        services.AddOptions<ClusteredStorageOptions>().Configure(options =>
        {
            options.Mysql = "Server=db.internal;Port=3316;Database=seckill;User Id=app;Password=s3cret-mysql";
            options.Pool = "pool.internal:6390,password=s3cret-pool";
            options.Shard = "127.0.0.1:6391,password=s3cret-shard,defaultDatabase=2";
        });
        using var provider = services.BuildServiceProvider();

        var storage = StorageDescription.Of(provider);

        Assert.Equal("clustered", storage.Mode);
        Assert.Equal(
            [("orders-db", "MySQL db.internal:3316/seckill (user app)"), ("stock-shard", "Redis 127.0.0.1:6391"), ("pool-redis", "Redis pool.internal:6390")],
            storage.Stores.Select(store => (store.Check, store.Where)));
        Assert.DoesNotContain(storage.Stores, store => store.Where.Contains("s3cret", StringComparison.Ordinal));
    }

    [Fact]
    public void AStoreWhoseCheckFailedIsShownNotReached()
    {
        var storage = new StorageDescription("clustered", [new("orders-db", "orders", "MySQL db:3306/seckill (user app)"), new("pool-redis", "pool", "Redis pool:6390")]);
        var health = new HealthReport(new Dictionary<string, HealthReportEntry>
        {
            ["orders-db"] = new(HealthStatus.Healthy, null, TimeSpan.Zero, null, null),
            ["pool-redis"] = new(HealthStatus.Unhealthy, "The shared Redis is unreachable.", TimeSpan.Zero, null, null),
        }, TimeSpan.Zero);

        var details = StartupBanner.Details("http://localhost:5000", storage, health, [], "http://localhost:5000/openapi/v1.json");

        Assert.Contains("MySQL db:3306/seckill (user app): reached", details);
        Assert.Contains("Redis pool:6390: NOT reached (The shared Redis is unreachable.)", details);
        Assert.Contains("http://localhost:5000/hangfire", details);
        Assert.DoesNotContain("Demo sale", details);
    }
}
