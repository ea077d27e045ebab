using System.Globalization;
using System.Security.Claims;
using Seckill.Web.Http;
using Seckill.Web.Security;

namespace Seckill.Web.Purchasing;

public sealed record PurchaseRequest(long? Quantity);

public sealed record PurchaseResponse(long OrderId, string Status, long? Position, long? EtaMs);

public static class PurchaseApi
{
    // The refusals almost every request of a flash sale gets: serialised once, written as bytes.
    private static readonly CachedProblem SoldOut = new(StatusCodes.Status409Conflict, "sold_out", "Sold out.", "Every unit of this sale is taken.");
    private static readonly CachedProblem NotStarted = new(StatusCodes.Status409Conflict, "not_started", "Not started.", "This sale has not started yet.");
    private static readonly CachedProblem Ended = new(StatusCodes.Status409Conflict, "ended", "Ended.", "This sale has ended.");
    private static readonly CachedProblem InvalidQuantity = new(StatusCodes.Status400BadRequest, "invalid_quantity", "The request is invalid.", "quantity must be at least 1 and at most the sale's per-user limit.");
    private static readonly CachedProblem Unavailable = new(StatusCodes.Status503ServiceUnavailable, "unavailable", "Unavailable.", "This instance is shutting down; try again.");

    public static IEndpointRouteBuilder MapPurchasing(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/sales/{id}/purchase", PurchaseAsync)
            .RequireAuthorization()
            .WithName("Purchase")
            .Produces<PurchaseResponse>(StatusCodes.Status201Created)
            .Produces<PurchaseResponse>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        return app;
    }

    /// <remarks>
    /// Returns <see cref="IResult"/> rather than a <c>Results&lt;…&gt;</c> union: the union is an
    /// allocation per request, and the refusals here must not allocate. The answers are listed
    /// in the route's <c>Produces</c> metadata instead.
    /// </remarks>
    private static async ValueTask<IResult> PurchaseAsync(string id, HttpRequest request, ClaimsPrincipal user, Checkout checkout)
    {
        if (!RouteIds.TryParse(id, out var saleId))
        {
            return RouteIds.Invalid;
        }
        var (body, problem) = await JsonBody.ReadAsync(request, SeckillJson.Default.PurchaseRequest);
        if (problem is not null)
        {
            return problem;
        }

        var outcome = await checkout.PurchaseAsync(saleId, user.UserId(), body!.Quantity ?? 1);
        return outcome.Status switch
        {
            PurchaseStatus.SoldOut => SoldOut,
            PurchaseStatus.NotStarted => NotStarted,
            PurchaseStatus.Ended => Ended,
            PurchaseStatus.UnknownSale => Sales.SalesApi.SaleNotFound,
            PurchaseStatus.InvalidQuantity => InvalidQuantity,
            PurchaseStatus.Unavailable => Unavailable,
            PurchaseStatus.AlreadyPurchased => ApiProblem.Conflict("already_purchased",
                "You already hold an order for this sale.", new Dictionary<string, object?> { ["orderId"] = outcome.OrderId }),
            PurchaseStatus.Refused => ApiProblem.Conflict(outcome.RefusalCode == Orders.OrderWrite.SoldOut ? "sold_out" : "order_failed",
                "The order could not be recorded.", new Dictionary<string, object?> { ["orderId"] = outcome.OrderId }),
            PurchaseStatus.Committed => TypedResults.Created(OrderLocation(outcome.OrderId),
                new PurchaseResponse(outcome.OrderId, Orders.OrderStatus.AwaitingPayment, null, null)),
            PurchaseStatus.Queued => TypedResults.Accepted(OrderLocation(outcome.OrderId),
                new PurchaseResponse(outcome.OrderId, Orders.OrderStatus.Queued, outcome.Position, outcome.EtaMs)),
            _ => throw new InvalidOperationException($"Unhandled purchase status {outcome.Status}."),
        };
    }

    private static string OrderLocation(long orderId) => "/api/orders/" + orderId.ToString(CultureInfo.InvariantCulture);
}
