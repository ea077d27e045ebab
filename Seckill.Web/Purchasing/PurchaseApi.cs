using System.Globalization;
using System.Security.Claims;
using System.Text.Json.Serialization;
using Seckill.Web.Gate;
using Seckill.Web.Http;
using Seckill.Web.Ops;
using Seckill.Web.Sales;
using Seckill.Web.Security;

namespace Seckill.Web.Purchasing;

/// <param name="Token">The purchase token of a <c>requireToken</c> sale (or header <c>X-Purchase-Token</c>).</param>
public sealed record PurchaseRequest(long? Quantity, string? Token);

public sealed record PurchaseResponse([property: JsonNumberHandling(JsonNumberHandling.WriteAsString | JsonNumberHandling.AllowReadingFromString)] long OrderId, string Status, long? Position, long? EtaMs);

/// <summary>The services the purchase handler uses: singletons, resolved once (see <see cref="PurchaseApi.MapPurchasing"/>).</summary>
public sealed record PurchaseServices(Checkout Checkout, BotRules Bots, Blacklist Blacklist, PurchaseMetrics Metrics);

public static class PurchaseApi
{
    // Refusals serialised once, written as bytes (the sold-out one is SaleProblems.SoldOut).
    private static readonly CachedProblem InvalidQuantity = new(StatusCodes.Status400BadRequest, "invalid_quantity", "The request is invalid.", "quantity must be at least 1 and at most the sale's per-user limit.");
    private static readonly IResult Unauthenticated = TypedResults.Challenge();
    private static readonly IResult Forbidden = TypedResults.Forbid();
    private static readonly IResult Overloaded = new RetryLater(1, new CachedProblem(StatusCodes.Status503ServiceUnavailable, "overloaded", "Overloaded.",
        "This instance is answering more buyers than it can serve in time; try again after the Retry-After header's seconds."));
    private static readonly CachedProblem Unavailable = new(StatusCodes.Status503ServiceUnavailable, "unavailable", "Unavailable.", "This instance cannot take orders just now (shutting down, or its stock store is unreachable); try again.");

    public static IEndpointRouteBuilder MapPurchasing(this IEndpointRouteBuilder app)
    {
        // Resolved at the first purchase and kept: a handler parameter bound from the services
        // makes ASP.NET Core open a service scope for every request (the scope, its table and the
        // request-services feature, about 300 bytes), though every one of these is a singleton.
        var provider = app.ServiceProvider;
        var services = new Lazy<PurchaseServices>(() => new PurchaseServices(provider.GetRequiredService<Checkout>(),
            provider.GetRequiredService<BotRules>(), provider.GetRequiredService<Blacklist>(), provider.GetRequiredService<PurchaseMetrics>()));
        // Not RequireAuthorization(): the handler checks the caller itself (see PurchaseAsync).
        app.MapPost("/api/sales/{id}/purchase", (string id, HttpRequest request, ClaimsPrincipal user) => PurchaseAsync(id, request, user, services.Value))
            .RequireRateLimiting(RateLimits.PerBuyerPolicy)
            .WithMetadata(new CountsAsPurchase())
            .WithName("Purchase")
            .Produces<PurchaseResponse>(StatusCodes.Status201Created)
            .Produces<PurchaseResponse>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    /// <remarks>
    /// Returns <see cref="IResult"/> rather than a <c>Results&lt;…&gt;</c> union: the union is an
    /// allocation per request, and the refusals here must not allocate. The answers are listed
    /// in the route's <c>Produces</c> metadata instead.
    /// </remarks>
    private static async ValueTask<IResult> PurchaseAsync(string id, HttpRequest request, ClaimsPrincipal user, PurchaseServices services)
    {
        var metrics = services.Metrics;
        // The default authorization policy, without the authorization middleware's evaluation
        // (a measurable share of a refusal): no token or a bad one is challenged (401 from the
        // bearer handler, with its code), a valid token without a usable user id is forbidden.
        if (!user.TryGetUserId(out var userId))
        {
            if (user.Identity?.IsAuthenticated == true)
            {
                return Forbidden;
            }
            metrics.Count(PurchaseResult.Unauthorized);
            return Unauthenticated;
        }
        if (services.Bots.IsSuspect(request))
        {
            metrics.Count(PurchaseResult.BotSuspected);
            return GateProblems.BotSuspected;
        }
        // Before the body is read: a blacklisted buyer costs nothing more.
        if (services.Blacklist.Contains(userId))
        {
            metrics.Count(PurchaseResult.Blacklisted);
            return GateProblems.Blacklisted;
        }
        if (!RouteIds.TryParse(id, out var saleId))
        {
            metrics.Count(PurchaseResult.InvalidRequest);
            return RouteIds.Invalid;
        }
        var (body, problem) = await JsonBody.ReadAsync(request, PurchasingJson.Default.PurchaseRequest);
        if (problem is not null)
        {
            metrics.Count(PurchaseResult.InvalidRequest);
            return problem;
        }

        var token = body!.Token ?? (request.Headers.TryGetValue(PurchaseTokenApi.Header, out var header) ? header.ToString() : null);
        var outcome = await services.Checkout.PurchaseAsync(saleId, userId, body.Quantity ?? 1, token);
        var answer = Answers[(int)outcome.Status];
        metrics.Count(answer.Metric);
        return answer.Respond(outcome);
    }

    /// <summary>How a purchase status is counted and answered.</summary>
    private readonly record struct Answer(PurchaseResult Metric, Func<PurchaseOutcome, IResult> Respond);

    /// <summary>
    /// Every <see cref="PurchaseStatus"/>, its metric and its answer, in one place. The refusals
    /// answer with a problem serialised once; only the answers that name an order build one.
    /// </summary>
    private static readonly Answer[] Answers = AnswerTable(
        (PurchaseStatus.Committed, PurchaseResult.Accepted, outcome => TypedResults.Created(OrderLocation(outcome.OrderId),
            new PurchaseResponse(outcome.OrderId, Orders.OrderStatus.AwaitingPayment, null, null))),
        (PurchaseStatus.Queued, PurchaseResult.Accepted, outcome => TypedResults.Accepted(OrderLocation(outcome.OrderId),
            new PurchaseResponse(outcome.OrderId, Orders.OrderStatus.Queued, outcome.Position, outcome.EtaMs))),
        (PurchaseStatus.Refused, PurchaseResult.OrderFailed, outcome => NotRecorded("order_failed", outcome)),
        (PurchaseStatus.RefusedSoldOut, PurchaseResult.SoldOut, outcome => NotRecorded("sold_out", outcome)),
        (PurchaseStatus.UnknownSale, PurchaseResult.UnknownSale, _ => SaleProblems.NotFound),
        (PurchaseStatus.InvalidQuantity, PurchaseResult.InvalidRequest, _ => InvalidQuantity),
        (PurchaseStatus.NotStarted, PurchaseResult.NotStarted, _ => SaleProblems.NotStarted),
        (PurchaseStatus.Ended, PurchaseResult.Ended, _ => SaleProblems.Ended),
        (PurchaseStatus.SoldOut, PurchaseResult.SoldOut, _ => SaleProblems.SoldOut),
        (PurchaseStatus.AlreadyPurchased, PurchaseResult.AlreadyPurchased, outcome => ApiProblem.Conflict("already_purchased",
            "You already hold an order for this sale.", new Dictionary<string, object?> { ["orderId"] = IdText(outcome.OrderId) })),
        (PurchaseStatus.BadToken, PurchaseResult.BadToken, _ => GateProblems.BadToken),
        (PurchaseStatus.Unavailable, PurchaseResult.Unavailable, _ => Unavailable),
        (PurchaseStatus.Overloaded, PurchaseResult.Overloaded, _ => Overloaded));

    private static IResult NotRecorded(string code, PurchaseOutcome outcome) =>
        ApiProblem.Conflict(code, "The order could not be recorded.", new Dictionary<string, object?> { ["orderId"] = IdText(outcome.OrderId) });

    /// <summary>The table indexed by status; a status without its row fails the start, not a request.</summary>
    private static Answer[] AnswerTable(params (PurchaseStatus Status, PurchaseResult Metric, Func<PurchaseOutcome, IResult> Respond)[] rows)
    {
        var table = new Answer[Enum.GetValues<PurchaseStatus>().Length];
        foreach (var (status, metric, respond) in rows)
        {
            table[(int)status] = new Answer(metric, respond);
        }
        if (Array.FindIndex(table, answer => answer.Respond is null) is var missing and >= 0)
        {
            throw new InvalidOperationException($"Purchase status {(PurchaseStatus)missing} has no answer.");
        }
        return table;
    }

    private static string OrderLocation(long orderId) => "/api/orders/" + IdText(orderId);

    /// <summary>Ids leave the service as JSON strings (see <c>Http/ApiJson</c>), in problem extensions too.</summary>
    private static string IdText(long id) => id.ToString(CultureInfo.InvariantCulture);
}
