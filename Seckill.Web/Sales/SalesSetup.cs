using Seckill.Web.Http;

namespace Seckill.Web.Sales;

/// <summary>
/// Sales: publishing one, finding one (the directory with its bloom filter and caches, refreshed
/// from the database and told of other instances' sales by <see cref="SaleNews"/>), its status and
/// stock as the API shows them, and the demo sale.
/// </summary>
public static class SalesSetup
{
    public static WebApplicationBuilder AddSales(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<SaleLookupOptions>().BindConfiguration(SaleLookupOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddApiJson(SalesJson.Default);
        services.AddMemoryCache();
        // Cache expiry follows the service's clock, like every other deadline.
        services.AddOptions<Microsoft.Extensions.Caching.Memory.MemoryCacheOptions>()
            .Configure<TimeProvider>((cache, time) => cache.Clock = new CacheClock(time));
        services.AddSingleton<SaleCatalog>();
        services.AddSingleton<SalePublisher>();
        services.AddSingleton<SaleAdmin>();
        services.AddSingleton<SaleStatusReader>();
        services.AddSingleton<StockReport>();
        services.AddSingleton<SaleDirectory>();
        services.AddSingleton<SaleNews>();
        services.AddSingleton<EndedSaleMarks>();

        // Sale news is heard from before the directory loads (so no sale created meanwhile is
        // missed); the directory knows every sale before the first request; then the demo sale.
        services.AddHostedService(provider => provider.GetRequiredService<SaleNews>());
        services.AddHostedService<SaleRefresher>();
        services.AddSingleton<DemoSale>();
        services.AddHostedService(provider => provider.GetRequiredService<DemoSale>());
        return builder;
    }

    public static WebApplication MapSales(this WebApplication app)
    {
        app.MapSaleEndpoints();
        app.MapSaleAdminEndpoints();
        app.MapStockEndpoints();
        return app;
    }

    private sealed class CacheClock(TimeProvider time) : Microsoft.Extensions.Internal.ISystemClock
    {
        public DateTimeOffset UtcNow => time.GetUtcNow();
    }
}
