using Seckill.Web.Sales;
using Seckill.Web.Security;

namespace Seckill.Web.Ops;

/// <param name="Purchases">Purchase requests by outcome code since this instance started.</param>
/// <param name="SaleLookups">Where lookups of sales that are not running were answered.</param>
public sealed record MetricsResponse(DateTimeOffset StartedAt, Dictionary<string, long> Purchases, SaleLookupCounts SaleLookups);

public static class MetricsApi
{
    public static IEndpointRouteBuilder MapMetrics(this IEndpointRouteBuilder app)
    {
        var startedAt = DateTimeOffset.UtcNow;
        app.MapGet("/api/admin/metrics", (PurchaseMetrics metrics, SaleDirectory sales) =>
                TypedResults.Ok(new MetricsResponse(startedAt, metrics.Snapshot(), sales.Counts)))
            .RequireAuthorization(SeckillClaims.AdminPolicy)
            .DisableRateLimiting();
        return app;
    }
}
