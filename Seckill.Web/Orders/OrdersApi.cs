using System.Security.Claims;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Seckill.Web.Cluster;
using Seckill.Web.Http;
using Seckill.Web.Stock;
using Seckill.Web.Security;

namespace Seckill.Web.Orders;

public sealed record OrderResponse(
    [property: JsonNumberHandling(JsonNumberHandling.WriteAsString | JsonNumberHandling.AllowReadingFromString)] long OrderId, [property: JsonNumberHandling(JsonNumberHandling.WriteAsString | JsonNumberHandling.AllowReadingFromString)] long SaleId, [property: JsonNumberHandling(JsonNumberHandling.WriteAsString | JsonNumberHandling.AllowReadingFromString)] long UserId, int Quantity, decimal Amount, string Status,
    long? Position = null, long? EtaMs = null, string? Reason = null, DateTimeOffset? PayBy = null)
{
    /// <summary>An order as stored: its deadline shown only while it awaits payment.</summary>
    public static OrderResponse Stored(Order order) =>
        new(order.Id, order.SaleId, order.UserId, order.Quantity, order.AmountCents / 100m, order.Status,
            Reason: order.Reason, PayBy: order.Status == OrderStatus.AwaitingPayment ? order.PayBy : null);

    /// <summary>A reservation not yet written (with its place in this instance's writer, when known).</summary>
    public static OrderResponse Queued(Reservation r, long? position = null, long? etaMs = null) =>
        new(r.OrderId, r.SaleId, r.UserId, r.Quantity, r.AmountCents / 100m, OrderStatus.Queued, position, etaMs);
}

public sealed record OrderStatusResponse(string Status);

/// <summary>
/// Where an order is: still queued in this instance's writer, stored, or recorded unconfirmed on
/// the shard of the instance that took it (bound by <c>[AsParameters]</c>).
/// </summary>
public readonly record struct OrderServices(OrderWriter Writer, OrderLifecycle Lifecycle, IShardRouter Shards);

public static class OrdersApi
{
    private static readonly CachedProblem OrderNotFound = new(StatusCodes.Status404NotFound, "order_not_found", "Not found.", "There is no such order.");
    private static readonly CachedProblem StillQueued = new(StatusCodes.Status409Conflict, "queued", "Not yet.", "The order is still queued; try again in a moment.");

    public static IEndpointRouteBuilder MapOrders(this IEndpointRouteBuilder app)
    {
        var orders = app.MapGroup("/api/orders/{id}").RequireAuthorization();
        orders.MapGet("", GetAsync);
        orders.MapPost("/pay", PayAsync);
        orders.MapPost("/cancel", CancelAsync);
        app.MapOrderListEndpoints();
        return app;
    }

    private static async Task<Results<Ok<OrderResponse>, CachedProblem>> GetAsync(
        string id, ClaimsPrincipal user, [AsParameters] OrderServices orders, CancellationToken cancellationToken)
    {
        var (pending, queuedElsewhere, order, refusal) = await LookUpAsync(id, user, orders, cancellationToken);
        if (refusal is not null)
        {
            return refusal;
        }
        if (pending is not null)
        {
            var (position, etaMs) = orders.Writer.PositionOf(pending);
            return TypedResults.Ok(OrderResponse.Queued(pending.Reservation, position, etaMs));
        }
        if (queuedElsewhere is { } q)
        {
            return TypedResults.Ok(OrderResponse.Queued(q));
        }
        return TypedResults.Ok(OrderResponse.Stored(order!));
    }

    private static async Task<Results<Ok<OrderStatusResponse>, ProblemHttpResult, CachedProblem>> PayAsync(
        string id, ClaimsPrincipal user, [AsParameters] OrderServices orders, CancellationToken cancellationToken)
    {
        var (outcome, refusal) = await ChangeOwnAsync(id, user, orders, PaymentOutcome.NotFound,
            (orderId, buyer) => orders.Lifecycle.PayAsync(orderId, buyer, cancellationToken), cancellationToken);
        if (refusal is not null)
        {
            return refusal;
        }
        return outcome switch
        {
            PaymentOutcome.Paid or PaymentOutcome.AlreadyPaid => TypedResults.Ok(new OrderStatusResponse(OrderStatus.Paid)),
            PaymentOutcome.Expired => ApiProblem.Conflict("expired", "The payment deadline has passed; the order expired."),
            PaymentOutcome.Cancelled => ApiProblem.Conflict("cancelled", "The order was cancelled."),
            PaymentOutcome.Failed => ApiProblem.Conflict("failed", "The order failed and holds no stock."),
            _ => OrderNotFound,
        };
    }

    private static async Task<Results<Ok<OrderStatusResponse>, ProblemHttpResult, CachedProblem>> CancelAsync(
        string id, ClaimsPrincipal user, [AsParameters] OrderServices orders, CancellationToken cancellationToken)
    {
        var (outcome, refusal) = await ChangeOwnAsync(id, user, orders, CancelOutcome.NotFound,
            (orderId, buyer) => orders.Lifecycle.CancelAsync(orderId, buyer, cancellationToken), cancellationToken);
        if (refusal is not null)
        {
            return refusal;
        }
        return outcome switch
        {
            CancelOutcome.Cancelled or CancelOutcome.AlreadyCancelled => TypedResults.Ok(new OrderStatusResponse(OrderStatus.Cancelled)),
            CancelOutcome.Paid => ApiProblem.Conflict("paid", "A paid order cannot be cancelled here; ask for a refund."),
            CancelOutcome.Expired => ApiProblem.Conflict("expired", "The order already expired."),
            CancelOutcome.Failed => ApiProblem.Conflict("failed", "The order failed and holds no stock."),
            _ => OrderNotFound,
        };
    }

    /// <summary>
    /// Pays or cancels the caller's order (<paramref name="change"/>, given the order id and whose it
    /// must be); what the batch finds missing (<paramref name="notFound"/>) is looked up as an order
    /// lookup would and, if it is the caller's after all, changed again.
    /// </summary>
    private static async Task<(TOutcome Outcome, CachedProblem? Refusal)> ChangeOwnAsync<TOutcome>(
        string id, ClaimsPrincipal user, OrderServices orders, TOutcome notFound, Func<long, long?, Task<TOutcome>> change,
        CancellationToken cancellationToken)
        where TOutcome : struct, Enum
    {
        var (orderId, refusal) = ChangeableId(id, user, orders);
        if (refusal is not null)
        {
            return (notFound, refusal);
        }
        var buyer = ChangedBy(user);
        var outcome = await change(orderId, buyer);
        if (EqualityComparer<TOutcome>.Default.Equals(outcome, notFound))
        {
            (orderId, refusal) = await FindOwnAsync(id, user, orders, cancellationToken);
            if (refusal is not null)
            {
                return (notFound, refusal);
            }
            outcome = await change(orderId, buyer);
        }
        return (outcome, null);
    }

    /// <summary>
    /// A payment or cancellation goes straight to the payment writer, which judges whose order it
    /// is in its batch: no read of its own (in a flash sale the winners pay within seconds, and a
    /// read each took a database slot from the polls). Refused here only for a bad id, or an order
    /// still queued in this instance's writer. What the batch finds missing is looked up as an order
    /// lookup would (<see cref="FindOwnAsync"/>): it may be queued on another instance's shard, or
    /// committed by it since, and is then changed after all.
    /// </summary>
    private static (long OrderId, CachedProblem? Refusal) ChangeableId(string id, ClaimsPrincipal user, OrderServices orders)
    {
        if (!RouteIds.TryParse(id, out var orderId))
        {
            return (0, RouteIds.Invalid);
        }
        if (orders.Writer.TryGetPending(orderId, out var pending))
        {
            return (0, CanSee(user, pending.Reservation.UserId) ? StillQueued : OrderNotFound);
        }
        return (orderId, null);
    }

    /// <summary>Whose orders the caller may change: their own, or anyone's for an admin (null).</summary>
    private static long? ChangedBy(ClaimsPrincipal user) => user.IsAdmin() ? null : user.UserId();

    /// <summary>The order id if the caller may act on it; an order still queued cannot be paid or cancelled yet.</summary>
    private static async Task<(long OrderId, CachedProblem? Refusal)> FindOwnAsync(
        string id, ClaimsPrincipal user, OrderServices orders, CancellationToken cancellationToken)
    {
        var (pending, queuedElsewhere, order, refusal) = await LookUpAsync(id, user, orders, cancellationToken);
        return (order?.Id ?? 0, refusal ?? (pending is not null || queuedElsewhere is not null ? StillQueued : null));
    }

    /// <summary>
    /// The order as the caller may see it: still queued here (<c>pending</c>), still queued by the
    /// instance that took it (<c>queuedElsewhere</c>), or stored (<c>order</c>); or a refusal for a
    /// bad id or an order that is missing or not theirs.
    /// </summary>
    private static async Task<(PendingOrder? Pending, Reservation? QueuedElsewhere, Order? Order, CachedProblem? Refusal)> LookUpAsync(
        string id, ClaimsPrincipal user, OrderServices orders, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var orderId))
        {
            return (null, null, null, RouteIds.Invalid);
        }
        // The pending table first: the writer removes an order from it only after committing it,
        // so an order missing there is either in the database or does not exist.
        if (orders.Writer.TryGetPending(orderId, out var pending))
        {
            return CanSee(user, pending.Reservation.UserId) ? (pending, null, null, null) : (null, null, null, OrderNotFound);
        }
        var order = await orders.Lifecycle.FindAsync(orderId, cancellationToken);
        if (order is null && await FindQueuedElsewhereAsync(orderId, orders.Shards) is { } elsewhere)
        {
            return CanSee(user, elsewhere.UserId) ? (null, elsewhere, null, null) : (null, null, null, OrderNotFound);
        }
        // Read again after the shard said no: an order is confirmed there only after it is
        // committed, so one committed meanwhile is in the database now.
        order ??= await orders.Lifecycle.FindAsync(orderId, cancellationToken);
        return order is not null && CanSee(user, order.UserId) ? (null, null, order, null) : (null, null, null, OrderNotFound);
    }

    /// <summary>
    /// An order not in the database yet and not in this instance's writer: its reservation, if a
    /// shard still has it unconfirmed (its buyer came back through another instance: the first one
    /// died, or the gateway moved them). It is on its own instance's shard, where that instance's
    /// buyers reserve, unless it was taken in a sale's end game, when every instance reserves on
    /// one shard: then it is on another, and every shard this instance knows is asked. A shard
    /// that cannot be asked knows nothing.
    /// </summary>
    private static async ValueTask<Reservation?> FindQueuedElsewhereAsync(long orderId, IShardRouter shards)
    {
        var owner = IdGenerator.InstanceOf(orderId);
        if (shards.TryGet(owner, out var home) && await FindUnconfirmedAsync(home, orderId) is { } atHome)
        {
            return atHome;
        }
        foreach (var shard in shards.Known)
        {
            if (shard.Id != owner && await FindUnconfirmedAsync(shard, orderId) is { } elsewhere)
            {
                return elsewhere;
            }
        }
        return null;
    }

    private static async ValueTask<Reservation?> FindUnconfirmedAsync(IStockShard shard, long orderId)
    {
        try
        {
            return await shard.FindUnconfirmedAsync(orderId);
        }
        catch (StockUnavailableException)
        {
            return null;
        }
    }

    // Someone else's order is reported as missing rather than forbidden, so ids cannot be probed.
    private static bool CanSee(ClaimsPrincipal user, long ownerId) => user.IsAdmin() || user.UserId() == ownerId;
}
