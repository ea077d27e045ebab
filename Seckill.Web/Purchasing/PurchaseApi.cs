using System.Globalization;
using System.Security.Claims;
using System.Text.Json.Serialization;
using Seckill.Web.Gate;
using Seckill.Web.Http;
using Seckill.Web.Security;

namespace Seckill.Web.Purchasing;

/// <param name="Token">The purchase token of a <c>requireToken</c> sale (or header <c>X-Purchase-Token</c>).</param>
public sealed record PurchaseRequest(long? Quantity, string? Token);

public sealed record PurchaseResponse([property: JsonNumberHandling(JsonNumberHandling.WriteAsString | JsonNumberHandling.AllowReadingFromString)] long OrderId, string Status, long? Position, long? EtaMs);

public static class PurchaseApi
{
    // The refusals almost every request of a flash sale gets: serialised once, written as bytes.
    private static readonly CachedProblem SoldOut = new(StatusCodes.Status409Conflict, "sold_out", "Sold out.", "Every unit of this sale is taken.");
    public static readonly CachedProblem NotStarted = new(StatusCodes.Status409Conflict, "not_started", "Not started.", "This sale has not started yet.");
    public static readonly CachedProblem Ended = new(StatusCodes.Status409Conflict, "ended", "Ended.", "This sale has ended.");
    private static readonly CachedProblem InvalidQuantity = new(StatusCodes.Status400BadRequest, "invalid_quantity", "The request is invalid.", "quantity must be at least 1 and at most the sale's per-user limit.");
    private static readonly IResult Unauthenticated = TypedResults.Challenge();
    private static readonly IResult Forbidden = TypedResults.Forbid();
    private static readonly CachedProblem Unavailable = new(StatusCodes.Status503ServiceUnavailable, "unavailable", "Unavailable.", "This instance cannot take orders just now (shutting down, or its stock store is unreachable); try again.");

    public static IEndpointRouteBuilder MapPurchasing(this IEndpointRouteBuilder app)
    {
        // Not RequireAuthorization(): the handler checks the caller itself (see PurchaseAsync).
        app.MapPost("/api/sales/{id}/purchase", PurchaseAsync)
            .RequireRateLimiting(RateLimits.PerBuyerPolicy)
            .WithMetadata(new CountsAsPurchase())
            .WithName("Purchase")
            .Produces<PurchaseResponse>(StatusCodes.Status201Created)
            .Produces<PurchaseResponse>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        return app;
    }

    /// <remarks>
    /// Returns <see cref="IResult"/> rather than a <c>Results&lt;…&gt;</c> union: the union is an
    /// allocation per request, and the refusals here must not allocate. The answers are listed
    /// in the route's <c>Produces</c> metadata instead.
    /// </remarks>
    private static async ValueTask<IResult> PurchaseAsync(
        string id, HttpRequest request, ClaimsPrincipal user, Checkout checkout, BotRules bots, Blacklist blacklist, PurchaseMetrics metrics)
    {
        // The default authorization policy, without the authorization middleware's evaluation
        // (a measurable share of a refusal): no token or a bad one is challenged (401 from the
        // bearer handler, with its code), a valid token without a usable user id is forbidden.
        if (!user.TryGetUserId(out var userId))
        {
            return user.Identity?.IsAuthenticated == true ? Forbidden : Unauthenticated;
        }
        if (bots.IsSuspect(request))
        {
            metrics.Count(PurchaseResult.BotSuspected);
            return GateProblems.BotSuspected;
        }
        // Before the body is read: a blacklisted buyer costs nothing more.
        if (blacklist.Contains(userId))
        {
            metrics.Count(PurchaseResult.Blacklisted);
            return GateProblems.Blacklisted;
        }
        if (!RouteIds.TryParse(id, out var saleId))
        {
            metrics.Count(PurchaseResult.InvalidRequest);
            return RouteIds.Invalid;
        }
        var (body, problem) = await JsonBody.ReadAsync(request, SeckillJson.Default.PurchaseRequest);
        if (problem is not null)
        {
            metrics.Count(PurchaseResult.InvalidRequest);
            return problem;
        }

        var token = body!.Token ?? (request.Headers.TryGetValue(PurchaseTokenApi.Header, out var header) ? header.ToString() : null);
        var outcome = await checkout.PurchaseAsync(saleId, userId, body.Quantity ?? 1, token);
        metrics.Count(ResultOf(outcome));
        return outcome.Status switch
        {
            PurchaseStatus.SoldOut => SoldOut,
            PurchaseStatus.NotStarted => NotStarted,
            PurchaseStatus.Ended => Ended,
            PurchaseStatus.UnknownSale => Sales.SalesApi.SaleNotFound,
            PurchaseStatus.InvalidQuantity => InvalidQuantity,
            PurchaseStatus.Unavailable => Unavailable,
            PurchaseStatus.BadToken => GateProblems.BadToken,
            PurchaseStatus.AlreadyPurchased => ApiProblem.Conflict("already_purchased",
                "You already hold an order for this sale.", new Dictionary<string, object?> { ["orderId"] = IdText(outcome.OrderId) }),
            PurchaseStatus.Refused => ApiProblem.Conflict(outcome.RefusalCode == Orders.OrderWrite.SoldOut ? "sold_out" : "order_failed",
                "The order could not be recorded.", new Dictionary<string, object?> { ["orderId"] = IdText(outcome.OrderId) }),
            PurchaseStatus.Committed => TypedResults.Created(OrderLocation(outcome.OrderId),
                new PurchaseResponse(outcome.OrderId, Orders.OrderStatus.AwaitingPayment, null, null)),
            PurchaseStatus.Queued => TypedResults.Accepted(OrderLocation(outcome.OrderId),
                new PurchaseResponse(outcome.OrderId, Orders.OrderStatus.Queued, outcome.Position, outcome.EtaMs)),
            _ => throw new InvalidOperationException($"Unhandled purchase status {outcome.Status}."),
        };
    }

    private static PurchaseResult ResultOf(PurchaseOutcome outcome) => outcome.Status switch
    {
        PurchaseStatus.Committed or PurchaseStatus.Queued => PurchaseResult.Accepted,
        PurchaseStatus.SoldOut => PurchaseResult.SoldOut,
        PurchaseStatus.AlreadyPurchased => PurchaseResult.AlreadyPurchased,
        PurchaseStatus.NotStarted => PurchaseResult.NotStarted,
        PurchaseStatus.Ended => PurchaseResult.Ended,
        PurchaseStatus.UnknownSale => PurchaseResult.UnknownSale,
        PurchaseStatus.InvalidQuantity => PurchaseResult.InvalidRequest,
        PurchaseStatus.BadToken => PurchaseResult.BadToken,
        PurchaseStatus.Unavailable => PurchaseResult.Unavailable,
        PurchaseStatus.Refused => outcome.RefusalCode == Orders.OrderWrite.SoldOut ? PurchaseResult.SoldOut : PurchaseResult.OrderFailed,
        _ => throw new InvalidOperationException($"Unhandled purchase status {outcome.Status}."),
    };

    private static string OrderLocation(long orderId) => "/api/orders/" + IdText(orderId);

    /// <summary>Ids leave the service as JSON strings (see <see cref="SeckillJson"/>), in problem extensions too.</summary>
    private static string IdText(long id) => id.ToString(CultureInfo.InvariantCulture);
}
