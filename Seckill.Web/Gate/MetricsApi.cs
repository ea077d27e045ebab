using Seckill.Web.Security;

namespace Seckill.Web.Gate;

/// <param name="Purchases">Purchase requests by outcome code since this instance started.</param>
public sealed record MetricsResponse(DateTimeOffset StartedAt, Dictionary<string, long> Purchases);

public static class MetricsApi
{
    public static IEndpointRouteBuilder MapMetrics(this IEndpointRouteBuilder app)
    {
        var startedAt = DateTimeOffset.UtcNow;
        app.MapGet("/api/admin/metrics", (PurchaseMetrics metrics) => TypedResults.Ok(new MetricsResponse(startedAt, metrics.Snapshot())))
            .RequireAuthorization(SeckillClaims.AdminPolicy)
            .DisableRateLimiting();
        return app;
    }
}
