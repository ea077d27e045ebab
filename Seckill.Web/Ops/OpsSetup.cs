using Seckill.Web.Http;

namespace Seckill.Web.Ops;

/// <summary>
/// What operators watch: Prometheus metrics (<c>/metrics</c>), outcome counts (<c>/api/admin/metrics</c>)
/// and health probes; and the bare endpoint benchmarks compare with.
/// </summary>
public static class OpsSetup
{
    public static WebApplicationBuilder AddOps(this WebApplicationBuilder builder)
    {
        builder.Services.AddApiJson(OpsJson.Default);
        builder.Services.AddMetrics();
        builder.Services.AddSingleton<PurchaseMetrics>();
        builder.Services.AddSingleton<PrometheusExporter>();
        builder.Services.AddHostedService<StockSampler>();
        builder.Services.AddHealth();
        // Bound at startup: a value of the wrong type or out of range stops it with the key's name.
        builder.Services.AddOptions<OpsOptions>().BindConfiguration(OpsOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        return builder;
    }

    public static WebApplication MapOps(this WebApplication app)
    {
        // Resolved now, not at the first scrape or purchase: the exporter must be listening before the
        // first request is measured, and the purchase counters exported (at zero) before any purchase.
        app.Services.GetRequiredService<PrometheusExporter>();
        app.Services.GetRequiredService<PurchaseMetrics>();
        app.MapPrometheus();
        app.MapMetrics();
        app.MapHealth();
        if (app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<OpsOptions>>().Value.BareEndpoint)
        {
            app.MapBareEndpoint();
        }
        return app;
    }
}
