using Seckill.Web.Purchasing;
using Seckill.Web.Sales;

namespace Seckill.Web.Docs;

/// <summary>A problem a route answers: its status and its <c>code</c>.</summary>
/// <param name="RetryAfter">The answer carries a <c>Retry-After</c> header.</param>
public readonly record struct ProblemCode(int Status, string Code, bool RetryAfter = false);

/// <summary>
/// What a route answers that its handler's signature and metadata cannot tell the document.
/// </summary>
/// <param name="Body">The JSON request body. Our handlers read it themselves (<c>Http/JsonBody</c>), so
/// the framework does not see it; a route with a body also answers <c>invalid_json</c>, 413 and 415.</param>
/// <param name="Required">The body's members the handler refuses to go without (400 <c>validation_failed</c>);
/// the schema's other members may be left out.</param>
/// <param name="Problems">The refusals its handler writes itself (most are <c>CachedProblem</c>s, which
/// carry no metadata). The refusals every route of its kind answers are added by <see cref="ContractTransformer"/>.</param>
/// <param name="SignedIn">The handler itself requires a signed-in buyer, without authorization metadata (the purchase, to spare the hot path the policy evaluation).</param>
/// <param name="Text">It answers 200 with <c>text/plain</c>.</param>
public sealed record RouteContract(Type? Body = null, string[]? Required = null, ProblemCode[]? Problems = null, bool SignedIn = false, bool Text = false);

/// <summary>
/// The route table the OpenAPI document is completed from, keyed <c>"METHOD /path"</c> as routes are
/// mapped. A route missing here is still documented, with what the framework and the generic rules
/// know of it. README's API table is checked against the document (<c>Seckill.Web.Tests/Endpoints/OpenApiTests</c>),
/// so a code added there and not here fails a test.
/// </summary>
public static class RouteContracts
{
    private const int BadRequest = StatusCodes.Status400BadRequest;
    private const int Forbidden = StatusCodes.Status403Forbidden;
    private const int NotFound = StatusCodes.Status404NotFound;
    private const int Conflict = StatusCodes.Status409Conflict;
    private const int Unavailable = StatusCodes.Status503ServiceUnavailable;

    private static readonly ProblemCode SaleNotFound = new(NotFound, "sale_not_found");
    private static readonly ProblemCode OrderNotFound = new(NotFound, "order_not_found");

    public static readonly IReadOnlyDictionary<string, RouteContract> ByRoute = new Dictionary<string, RouteContract>
    {
        ["POST /api/admin/sales"] = new(Body: typeof(CreateSaleRequest), Required: ["sku", "name", "price", "stock", "startsAt", "endsAt"]),
        ["GET /api/sales/{id}"] = new(Problems: [SaleNotFound]),
        ["GET /api/sales/{id}/token"] = new(Problems:
        [
            new(Forbidden, "bot_suspected"), new(Forbidden, "blacklisted"), SaleNotFound, new(Conflict, "not_started"), new(Conflict, "ended"),
        ]),
        ["POST /api/sales/{id}/purchase"] = new(Body: typeof(PurchaseRequest), SignedIn: true, Problems:
        [
            new(BadRequest, "invalid_quantity"),
            new(Forbidden, "bot_suspected"), new(Forbidden, "blacklisted"), new(Forbidden, "bad_token"),
            SaleNotFound,
            new(Conflict, "sold_out"), new(Conflict, "already_purchased"), new(Conflict, "not_started"), new(Conflict, "ended"),
            new(Conflict, "order_failed"),
            new(Unavailable, "unavailable"), new(Unavailable, "overloaded", RetryAfter: true),
        ]),
        ["PATCH /api/admin/sales/{id}"] = new(Body: typeof(ChangeSaleRequest), Problems:
        [
            SaleNotFound, new(Conflict, "sale_started"), new(Conflict, "stock_not_in_pool"),
        ]),
        ["POST /api/admin/sales/{id}/end"] = new(Problems: [SaleNotFound, new(Conflict, "ended")]),
        ["POST /api/admin/sales/{id}/stock"] = new(Body: typeof(AddStockRequest), Required: ["units"], Problems:
        [
            SaleNotFound, new(Conflict, "ended"),
        ]),
        ["GET /api/admin/sales/{id}/stock"] = new(Problems: [SaleNotFound]),
        ["GET /api/orders/{id}"] = new(Problems: [OrderNotFound]),
        ["POST /api/orders/{id}/pay"] = new(Problems:
        [
            OrderNotFound, new(Conflict, "expired"), new(Conflict, "cancelled"), new(Conflict, "failed"), new(Conflict, "queued"),
        ]),
        ["POST /api/orders/{id}/cancel"] = new(Problems:
        [
            OrderNotFound, new(Conflict, "paid"), new(Conflict, "expired"), new(Conflict, "failed"), new(Conflict, "queued"),
        ]),
        ["DELETE /api/admin/blacklist/{userId}"] = new(Problems: [new(NotFound, "not_blacklisted")]),
        ["GET /metrics"] = new(Text: true),
        ["GET /health/live"] = new(Text: true),
        ["GET /health/ready"] = new(Text: true, Problems: [new(Unavailable, "unavailable")]),
        ["HEAD /health/ready"] = new(Problems: [new(Unavailable, "unavailable")]),
    };
}
