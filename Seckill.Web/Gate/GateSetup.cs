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

        // After the storage's startup: the blacklist is read before the first request.
        services.AddHostedService(provider => provider.GetRequiredService<Blacklist>());
        return builder;
    }

    public static WebApplication MapGate(this WebApplication app)
    {
        app.MapBlacklist();
        app.MapPurchaseTokens();
        return app;
    }
}
