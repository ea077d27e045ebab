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

public sealed record ShardStockResponse([property: JsonNumberHandling(JsonNumberHandling.WriteAsString | JsonNumberHandling.AllowReadingFromString)] int InstanceId, long Available, long Reserved);

/// <summary>
/// The terms of the conservation law, <c>total = pool + available + reserved + inTransit + sold</c>,
/// and the order counts behind <c>sold</c> (all in units).
/// </summary>
public sealed record StockResponse(
    long Total, long Pool, long Available, long Reserved, long InTransit, long Sold,
    long AwaitingPayment, long Paid, long Cancelled, long Expired, long Failed, IReadOnlyList<ShardStockResponse> Shards);

/// <summary>What the stock view reads: the sale, the pool and ledger, this instance's shard, the orders.</summary>
public readonly record struct StockReaders(SaleDirectory Sales, IStockPool Pool, IShardRouter Shards, Allocator Allocator, IOrderStore Orders);

public static class StockApi
{
    public static IEndpointRouteBuilder MapStockEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/admin/sales/{id}/stock", GetAsync).RequireAuthorization(SeckillClaims.AdminPolicy).DisableRateLimiting();
        return app;
    }

    private static async Task<Results<Ok<StockResponse>, CachedProblem>> GetAsync(
        string id, [AsParameters] StockReaders stores, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var saleId))
        {
            return RouteIds.Invalid;
        }
        if (await stores.Sales.FindAsync(saleId) is not { } sale)
        {
            return SaleProblems.NotFound;
        }
        var shard = stores.Shards.Local;
        var shardStock = await shard.GetAsync(saleId);
        var counts = await stores.Orders.CountAsync(saleId, cancellationToken);
        return TypedResults.Ok(new StockResponse(
            sale.Stock, await stores.Pool.GetAsync(saleId), shardStock.Available, shardStock.Reserved, await stores.Allocator.InTransitAsync(saleId), counts.Sold,
            counts.AwaitingPayment, counts.Paid, counts.Cancelled, counts.Expired, counts.Failed,
            [new ShardStockResponse(shard.Id, shardStock.Available, shardStock.Reserved)]));
    }
}
