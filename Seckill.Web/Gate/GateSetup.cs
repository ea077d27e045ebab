using Seckill.Web.Http;

namespace Seckill.Web.Gate;

/// <summary>
/// The request gate (ARCHITECTURE §2, "intercept early"): rate limits, bot rules, blacklist,
/// purchase tokens. Everything it refuses is refused in process, without I/O.
/// </summary>
public static class GateSetup
{
    public static WebApplicationBuilder AddGate(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<GateOptions>().BindConfiguration(GateOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddApiJson(GateJson.Default);
        services.AddSeckillRateLimits();
        services.AddSingleton<BotRules>();
        services.AddSingleton<PurchaseTokens>();
        services.AddSingleton<Blacklist>();
        services.AddSingleton<BlacklistNews>();
        services.AddOptions<OverloadOptions>().BindConfiguration(OverloadOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<LoadShedder>();
        services.AddSingleton<IOverloadSignal>(provider => provider.GetRequiredService<LoadShedder>());
        services.AddHostedService<QueueDelayProbe>();

        // After the storage's startup: blacklist news is heard from before the list is read (so
        // no change made meanwhile is missed), the list is read before the first request, then
        // reloaded periodically in case a message was lost.
        services.AddHostedService(provider => provider.GetRequiredService<BlacklistNews>());
        services.AddHostedService(provider => provider.GetRequiredService<Blacklist>());
        services.AddHostedService<BlacklistRefresher>();
        return builder;
    }

    public static WebApplication MapGate(this WebApplication app)
    {
        app.MapBlacklist();
        app.MapPurchaseTokens();
        return app;
    }
}
