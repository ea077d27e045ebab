using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Seckill.Web.Allocation;
using Seckill.Web.Cluster;
using Seckill.Web.Http;
using Seckill.Web.Orders;
using Seckill.Web.Security;
using Seckill.Web.Stock;

namespace Seckill.Web.Sales;

/// <param name="Live">Its instance's heartbeat is fresh.</param>
/// <param name="Reachable">The shard answered this read.</param>
/// <param name="Reclaimed">Its instance was declared dead and its stock went back to the pool (its figures count nowhere).</param>
/// <param name="Sold">Units of active orders (awaiting payment or paid) reserved on this shard.</param>
/// <param name="MovedIn">Units the allocator landed on this shard (warm-up, refills, steals, end game).</param>
/// <param name="MovedOut">Units it moved away from this shard (to another shard or back to the pool).</param>
public sealed record ShardStockResponse(
    [property: JsonNumberHandling(JsonNumberHandling.WriteAsString | JsonNumberHandling.AllowReadingFromString)] int InstanceId, long Available, long Reserved,
    bool Live = true, bool Reachable = true, bool Reclaimed = false, long Sold = 0, long MovedIn = 0, long MovedOut = 0);

/// <summary>
/// The terms of the conservation law, <c>total = pool + available + reserved + inTransit + sold</c>,
/// and the order counts behind <c>sold</c> (all in units).
/// </summary>
public sealed record StockResponse(
    long Total, long Pool, long Available, long Reserved, long InTransit, long Sold,
    long AwaitingPayment, long Paid, long Cancelled, long Expired, long Failed, IReadOnlyList<ShardStockResponse> Shards);

public static class StockApi
{
    public static IEndpointRouteBuilder MapStockEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/admin/sales/{id}/stock", GetAsync).RequireAuthorization(SeckillClaims.AdminPolicy).DisableRateLimiting();
        return app;
    }

    private static async Task<Results<Ok<StockResponse>, CachedProblem>> GetAsync(
        string id, StockReport report, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var saleId))
        {
            return RouteIds.Invalid;
        }
        return await report.ReadAsync(saleId, cancellationToken) is { } stock ? TypedResults.Ok(stock) : SaleProblems.NotFound;
    }
}
