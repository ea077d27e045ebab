using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Seckill.Web.Http;
using Seckill.Web.Security;

namespace Seckill.Web.Orders;

/// <summary>
/// Order listings, newest first, a page at a time: a sale's orders for the operators (admin), and
/// the caller's own orders for a buyer.
/// </summary>
public static class OrderListApi
{
    private static readonly string[] Statuses =
        [OrderStatus.AwaitingPayment, OrderStatus.Paid, OrderStatus.Cancelled, OrderStatus.Expired, OrderStatus.Failed];

    public static IEndpointRouteBuilder MapOrderListEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/admin/sales/{id}/orders", BySaleAsync).RequireAuthorization(SeckillClaims.AdminPolicy).DisableRateLimiting();
        app.MapGet("/api/me/orders", MineAsync).RequireAuthorization();
        return app;
    }

    private static async Task<Results<Ok<PageResponse<OrderResponse>>, ValidationProblem, CachedProblem>> BySaleAsync(
        string id, string? status, string? page, string? pageSize, IOrderListing listing, DatabaseSlots database, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var saleId))
        {
            return RouteIds.Invalid;
        }
        var errors = new Dictionary<string, string[]>();
        var paging = Paging.Read(page, pageSize, errors);
        if (status is not null && !Statuses.Contains(status))
        {
            errors["status"] = [$"status must be one of {string.Join(", ", Statuses)}."];
        }
        if (errors.Count > 0)
        {
            return ApiProblem.Validation(errors);
        }
        var (orders, total) = await database.RunAsync(token => listing.ListBySaleAsync(saleId, status, paging.Offset, paging.Size, token), cancellationToken);
        return TypedResults.Ok(new PageResponse<OrderResponse>(orders.Select(OrderResponse.Stored).ToList(), paging.Page, paging.Size, total));
    }

    /// <summary>
    /// The caller's orders. The first page also lists those still queued in this instance's writer
    /// (the buyer's purchases come through this instance): a 202 just received is there at once
    /// (so page 1 may hold a few more than the page size).
    /// </summary>
    private static async Task<Results<Ok<PageResponse<OrderResponse>>, ValidationProblem>> MineAsync(
        string? page, string? pageSize, ClaimsPrincipal user, IOrderListing listing, OrderWriter writer, DatabaseSlots database,
        CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var paging = Paging.Read(page, pageSize, errors);
        if (errors.Count > 0)
        {
            return ApiProblem.Validation(errors);
        }
        var userId = user.UserId();
        var queued = paging.Page == 1 ? writer.PendingOf(userId) : [];
        var (orders, total) = await database.RunAsync(token => listing.ListByUserAsync(userId, paging.Offset, paging.Size, token), cancellationToken);
        // An order committed between the two reads is listed once, as stored.
        var items = queued.Where(reservation => orders.All(order => order.Id != reservation.OrderId))
            .Select(reservation => OrderResponse.Queued(reservation))
            .Concat(orders.Select(OrderResponse.Stored))
            .ToList();
        return TypedResults.Ok(new PageResponse<OrderResponse>(items, paging.Page, paging.Size, total + items.Count - orders.Count));
    }
}
