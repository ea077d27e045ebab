using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Seckill.Web.Http;
using Seckill.Web.Security;

namespace Seckill.Web.Sales;

/// <summary>Admin body that changes a sale before it starts: the fields given are changed, the others kept.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record ChangeSaleRequest(DateTimeOffset? StartsAt, DateTimeOffset? EndsAt, long? Stock, long? PerUserLimit);

/// <summary>Admin body that adds units to a sale.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record AddStockRequest(long? Units);

/// <summary>
/// The operators' sale management (admin only): list sales, change one before it starts, end one
/// early, add stock to one. See <see cref="SaleAdmin"/> for what each does across the cluster.
/// </summary>
public static class SaleAdminApi
{
    private static readonly CachedProblem TooLateToChange = new(StatusCodes.Status409Conflict, "sale_started", "Too late.",
        $"A sale can be changed until {SaleAdmin.ChangeCutoff.TotalSeconds:0} s before it starts; end it, or add stock, instead.");

    private static readonly CachedProblem StockNotInPool = new(StatusCodes.Status409Conflict, "stock_not_in_pool", "Not now.",
        "Some of the sale's units could not be brought back from the shards to the pool; try again.");

    private static readonly CachedProblem AlreadyEnded = new(StatusCodes.Status409Conflict, "ended", "Ended.", "This sale has ended.");

    public static IEndpointRouteBuilder MapSaleAdminEndpoints(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/admin/sales").RequireAuthorization(SeckillClaims.AdminPolicy).DisableRateLimiting();
        admin.MapGet("", ListAsync);
        admin.MapPatch("/{id}", ChangeAsync);
        admin.MapPost("/{id}/end", EndAsync);
        admin.MapPost("/{id}/stock", AddStockAsync);
        return app;
    }

    private static async Task<Results<Ok<PageResponse<SaleResponse>>, ValidationProblem>> ListAsync(
        string? status, string? page, string? pageSize, SaleAdmin admin, SaleStatusReader reader, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var paging = Paging.Read(page, pageSize, errors);
        SalePhase? phase = status switch
        {
            null => null,
            "upcoming" => SalePhase.Upcoming,
            "running" => SalePhase.Running,
            "ended" => SalePhase.Ended,
            _ => Invalid(errors, "status", "status must be upcoming, running or ended."),
        };
        if (errors.Count > 0)
        {
            return ApiProblem.Validation(errors);
        }
        var (sales, total) = await admin.ListAsync(phase, paging.Offset, paging.Size, cancellationToken);
        var items = new List<SaleResponse>(sales.Count);
        foreach (var sale in sales)
        {
            items.Add(await reader.DescribeAsync(sale));
        }
        return TypedResults.Ok(new PageResponse<SaleResponse>(items, paging.Page, paging.Size, total));
    }

    private static async Task<Results<Ok<SaleResponse>, ValidationProblem, ProblemHttpResult, CachedProblem>> ChangeAsync(
        string id, HttpRequest request, SaleDirectory sales, SaleAdmin admin, SaleStatusReader reader, TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var saleId))
        {
            return RouteIds.Invalid;
        }
        var (body, problem) = await JsonBody.ReadAsync(request, SalesJson.Default.ChangeSaleRequest);
        if (problem is not null)
        {
            return problem;
        }
        if (await sales.FindAsync(saleId) is not { } current)
        {
            return SaleProblems.NotFound;
        }
        var now = time.GetUtcNow();
        if (current.StartsAt <= now + SaleAdmin.ChangeCutoff)
        {
            return TooLateToChange;
        }
        var errors = Validate(body!, current, now, out var change);
        if (errors.Count > 0)
        {
            return ApiProblem.Validation(errors);
        }
        var (outcome, changed) = await admin.ChangeAsync(current, change!, cancellationToken);
        return outcome switch
        {
            SaleChangeOutcome.Changed => TypedResults.Ok(await reader.DescribeAsync(changed!)),
            SaleChangeOutcome.NotFound => SaleProblems.NotFound,
            SaleChangeOutcome.Started => TooLateToChange,
            _ => StockNotInPool,
        };
    }

    private static async Task<Results<Ok<SaleResponse>, CachedProblem>> EndAsync(
        string id, SaleDirectory sales, SaleAdmin admin, SaleStatusReader reader, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var saleId))
        {
            return RouteIds.Invalid;
        }
        if (await sales.FindAsync(saleId) is null)
        {
            return SaleProblems.NotFound;
        }
        return await admin.EndAsync(saleId, cancellationToken) is { } ended ? TypedResults.Ok(await reader.DescribeAsync(ended)) : AlreadyEnded;
    }

    private static async Task<Results<Ok<SaleResponse>, ValidationProblem, ProblemHttpResult, CachedProblem>> AddStockAsync(
        string id, HttpRequest request, SaleDirectory sales, SaleAdmin admin, SaleStatusReader reader, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var saleId))
        {
            return RouteIds.Invalid;
        }
        var (body, problem) = await JsonBody.ReadAsync(request, SalesJson.Default.AddStockRequest);
        if (problem is not null)
        {
            return problem;
        }
        if (await sales.FindAsync(saleId) is not { } sale)
        {
            return SaleProblems.NotFound;
        }
        if (body!.Units is not { } units || units < 1 || units > SalesApi.MaxStock - sale.Stock)
        {
            return ApiProblem.Validation(new() { ["units"] = [$"units is required: 1 to {SalesApi.MaxStock - sale.Stock} (a sale holds at most {SalesApi.MaxStock})."] });
        }
        return await admin.AddStockAsync(saleId, (int)units, cancellationToken) is { } added
            ? TypedResults.Ok(await reader.DescribeAsync(added))
            : AlreadyEnded;
    }

    private static SalePhase? Invalid(Dictionary<string, string[]> errors, string field, string message)
    {
        errors[field] = [message];
        return null;
    }

    /// <summary>The change with the sale's current values where the body leaves a field out, checked as a new sale's would be.</summary>
    private static Dictionary<string, string[]> Validate(ChangeSaleRequest body, Sale current, DateTimeOffset now, out SaleChange? change)
    {
        var errors = new Dictionary<string, string[]>();
        var startsAt = body.StartsAt ?? current.StartsAt;
        var endsAt = body.EndsAt ?? current.EndsAt;
        var stock = body.Stock ?? current.Stock;
        var limit = body.PerUserLimit ?? current.PerUserLimit;
        if (body.StartsAt is null && body.EndsAt is null && body.Stock is null && body.PerUserLimit is null)
        {
            errors["body"] = ["Give at least one of startsAt, endsAt, stock, perUserLimit."];
        }
        if (startsAt <= now + SaleAdmin.ChangeCutoff)
        {
            errors["startsAt"] = [$"startsAt must be at least {SaleAdmin.ChangeCutoff.TotalSeconds:0} s from now."];
        }
        if (endsAt <= startsAt)
        {
            errors["endsAt"] = ["endsAt must be after startsAt."];
        }
        if (stock is < 1 or > SalesApi.MaxStock)
        {
            errors["stock"] = [$"stock must be 1 to {SalesApi.MaxStock}."];
        }
        if (limit < 1 || limit > SalesApi.MaxPerUserLimit || limit > stock)
        {
            errors["perUserLimit"] = [$"perUserLimit must be 1 to {SalesApi.MaxPerUserLimit} and at most the stock."];
        }
        change = errors.Count > 0 ? null : new SaleChange(startsAt, endsAt, (int)stock, (int)limit);
        return errors;
    }
}
