using Seckill.Web.Security;

namespace Seckill.Web.Ops;

/// <summary>
/// <c>GET /metrics</c>: every series of <see cref="PrometheusExporter"/>, for Prometheus to scrape
/// with an admin bearer token (README, "Metrics and monitoring"). Buyers get 403: the figures
/// (stock per shard, refusals) are the operators'.
/// </summary>
public static class PrometheusApi
{
    public const string Path = "/metrics";

    public static IEndpointRouteBuilder MapPrometheus(this IEndpointRouteBuilder app)
    {
        app.MapGet(Path, static (PrometheusExporter exporter) => TypedResults.Text(exporter.Collect(), PrometheusText.ContentType))
            .RequireAuthorization(SeckillClaims.AdminPolicy)
            .DisableRateLimiting();
        return app;
    }
}
