using Seckill.Web.Http;

namespace Seckill.Web.Ops;

/// <summary>What operators watch: outcome metrics (<c>/api/admin/metrics</c>) and health probes; and the bare endpoint benchmarks compare with.</summary>
public static class OpsSetup
{
    public static WebApplicationBuilder AddOps(this WebApplicationBuilder builder)
    {
        builder.Services.AddApiJson(OpsJson.Default);
        builder.Services.AddMetrics();
        builder.Services.AddSingleton<PurchaseMetrics>();
        builder.Services.AddHealth();
        // Bound at startup: a value that is not a boolean stops it with the key's name.
        builder.Services.AddOptions<OpsOptions>().BindConfiguration(OpsOptions.Section).ValidateOnStart();
        return builder;
    }

    public static WebApplication MapOps(this WebApplication app)
    {
        app.MapMetrics();
        app.MapHealth();
        if (app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<OpsOptions>>().Value.BareEndpoint)
        {
            app.MapBareEndpoint();
        }
        return app;
    }
}
