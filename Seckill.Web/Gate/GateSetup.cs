using Seckill.Web.Sales;

namespace Seckill.Web.Gate;

/// <summary>
/// The request gate (ARCHITECTURE §2, "intercept early"): rate limits, bot rules, blacklist,
/// purchase tokens, the sale id filter and caches, and the outcome metrics. Everything it
/// refuses is refused in process, without I/O.
/// </summary>
public static class GateSetup
{
    public static WebApplicationBuilder AddRequestGate(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<GateOptions>().BindConfiguration(GateOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddMetrics();
        services.AddMemoryCache();
        // Cache expiry follows the service's clock, like every other deadline.
        services.AddOptions<Microsoft.Extensions.Caching.Memory.MemoryCacheOptions>()
            .Configure<TimeProvider>((cache, time) => cache.Clock = new CacheClock(time));
        services.AddSingleton<PurchaseMetrics>();
        services.AddSeckillRateLimits();
        services.AddSingleton<BotRules>();
        services.AddSingleton<PurchaseTokens>();
        services.AddSingleton<Blacklist>();
        services.AddSingleton<SaleDirectory>();

        // After the storage's startup services: both read storage before the first request.
        services.AddHostedService(provider => provider.GetRequiredService<Blacklist>());
        services.AddHostedService<SaleRefresher>();
        return builder;
    }

    private sealed class CacheClock(TimeProvider time) : Microsoft.Extensions.Internal.ISystemClock
    {
        public DateTimeOffset UtcNow => time.GetUtcNow();
    }

    public static WebApplication MapRequestGate(this WebApplication app)
    {
        app.MapBlacklist();
        app.MapPurchaseTokens();
        app.MapMetrics();
        return app;
    }
}
