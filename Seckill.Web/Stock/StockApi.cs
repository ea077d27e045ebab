using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Seckill.Web.Allocation;
using Seckill.Web.Gate;
using Seckill.Web.Http;
using Seckill.Web.Orders;
using Seckill.Web.Sales;
using Seckill.Web.Security;

namespace Seckill.Web.Stock;

public sealed record ShardStockResponse([property: JsonNumberHandling(JsonNumberHandling.WriteAsString | JsonNumberHandling.AllowReadingFromString)] int InstanceId, long Available, long Reserved);

/// <summary>
/// The terms of the conservation law, <c>total = pool + available + reserved + inTransit + sold</c>,
/// and the order counts behind <c>sold</c> (all in units).
/// </summary>
public sealed record StockResponse(
    long Total, long Pool, long Available, long Reserved, long InTransit, long Sold,
    long AwaitingPayment, long Paid, long Cancelled, long Expired, long Failed, IReadOnlyList<ShardStockResponse> Shards);

public static class StockApi
{
    public static IEndpointRouteBuilder MapStock(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/admin/sales/{id}/stock", GetAsync).RequireAuthorization(SeckillClaims.AdminPolicy).DisableRateLimiting();
        return app;
    }

    private static async Task<Results<Ok<StockResponse>, CachedProblem>> GetAsync(
        string id, SaleDirectory sales, IStockPool pool, IStockShard shard, Allocator allocator, IOrderStore orders,
        CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var saleId))
        {
            return RouteIds.Invalid;
        }
        if (await sales.FindAsync(saleId) is not { } sale)
        {
            return SalesApi.SaleNotFound;
        }
        var shardStock = await shard.GetAsync(saleId);
        var counts = await orders.CountAsync(saleId, cancellationToken);
        return TypedResults.Ok(new StockResponse(
            sale.Stock, await pool.GetAsync(saleId), shardStock.Available, shardStock.Reserved, await allocator.InTransitAsync(saleId), counts.Sold,
            counts.AwaitingPayment, counts.Paid, counts.Cancelled, counts.Expired, counts.Failed,
            [new ShardStockResponse(shard.Id, shardStock.Available, shardStock.Reserved)]));
    }
}
