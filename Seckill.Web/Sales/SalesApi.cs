using System.Globalization;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Seckill.Web.Allocation;
using Seckill.Web.Gate;
using Seckill.Web.Http;
using Seckill.Web.Security;
using Seckill.Web.Stock;

namespace Seckill.Web.Sales;

/// <summary>Admin body for a new sale. Unknown fields are refused so that a typo is not silently ignored.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record CreateSaleRequest(
    string? Sku, string? Name, decimal? Price, long? Stock, DateTimeOffset? StartsAt, DateTimeOffset? EndsAt, long? PerUserLimit,
    bool? RequireToken);

public sealed record SaleResponse(
    [property: JsonNumberHandling(JsonNumberHandling.WriteAsString | JsonNumberHandling.AllowReadingFromString)] long Id, string Sku, string Name, decimal Price, int Stock, long Remaining,
    DateTimeOffset StartsAt, DateTimeOffset EndsAt, int PerUserLimit, bool RequireToken, string Status);

public static class SalesApi
{
    public const int MaxStock = 10_000_000;
    public const int MaxPerUserLimit = 1_000;
    public const decimal MaxPrice = 1_000_000_000m;

    public static IEndpointRouteBuilder MapSaleEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/admin/sales", CreateAsync).RequireAuthorization(SeckillClaims.AdminPolicy).DisableRateLimiting();
        app.MapGet("/api/sales/{id}", GetAsync);
        return app;
    }

    private static async Task<Results<Created<SaleResponse>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        HttpRequest request, SalePublisher publisher, SaleStatusReader status, TimeProvider time, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync(request, SalesJson.Default.CreateSaleRequest);
        if (problem is not null)
        {
            return problem;
        }
        var errors = Validate(body!, time.GetUtcNow(), out var newSale);
        if (errors.Count > 0)
        {
            return ApiProblem.Validation(errors);
        }
        var sale = await publisher.PublishAsync(newSale!, cancellationToken);
        return TypedResults.Created("/api/sales/" + sale.Id.ToString(CultureInfo.InvariantCulture), await status.DescribeAsync(sale));
    }

    private static async Task<Results<Ok<SaleResponse>, CachedProblem>> GetAsync(
        string id, SaleDirectory sales, SaleStatusReader status)
    {
        if (!RouteIds.TryParse(id, out var saleId))
        {
            return RouteIds.Invalid;
        }
        var sale = await sales.FindAsync(saleId);
        return sale is null ? SaleProblems.NotFound : TypedResults.Ok(await status.DescribeAsync(sale));
    }


    private static Dictionary<string, string[]> Validate(CreateSaleRequest body, DateTimeOffset now, out NewSale? sale)
    {
        var errors = new Dictionary<string, string[]>();
        void Error(string field, string message) => errors[field] = [message];

        var sku = body.Sku?.Trim();
        if (string.IsNullOrEmpty(sku) || sku.Length > 64)
        {
            Error("sku", "sku is required, at most 64 characters.");
        }
        var name = body.Name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > 200)
        {
            Error("name", "name is required, at most 200 characters.");
        }
        if (body.Price is not { } price || price < 0 || price > MaxPrice || decimal.Round(price, 2) != price)
        {
            Error("price", $"price is required: 0 to {MaxPrice}, at most 2 decimals.");
        }
        if (body.Stock is not (>= 1 and <= MaxStock))
        {
            Error("stock", $"stock is required: 1 to {MaxStock}.");
        }
        if (body.StartsAt is null)
        {
            Error("startsAt", "startsAt is required.");
        }
        if (body.EndsAt is null)
        {
            Error("endsAt", "endsAt is required.");
        }
        else if (body.EndsAt <= body.StartsAt || body.EndsAt <= now)
        {
            Error("endsAt", "endsAt must be after startsAt and in the future.");
        }
        var limit = body.PerUserLimit ?? 1;
        if (limit < 1 || limit > MaxPerUserLimit || (body.Stock is { } stock && limit > stock))
        {
            Error("perUserLimit", $"perUserLimit must be 1 to {MaxPerUserLimit} and at most the stock.");
        }

        sale = errors.Count > 0 ? null : new NewSale(
            sku!, name!, (long)(body.Price!.Value * 100), (int)body.Stock!.Value, body.StartsAt!.Value, body.EndsAt!.Value, (int)limit, body.RequireToken ?? false);
        return errors;
    }
}
