using Microsoft.AspNetCore.Http.HttpResults;
using Seckill.Web.Http;
using Seckill.Web.Security;

namespace Seckill.Web.Gate;

public sealed record BlacklistResponse(IReadOnlyList<BlacklistEntry> Users);

public static class BlacklistApi
{
    private static readonly CachedProblem NotListed = new(StatusCodes.Status404NotFound, "not_blacklisted", "Not found.", "This user is not on the blacklist.");

    public static IEndpointRouteBuilder MapBlacklist(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/admin/blacklist").RequireAuthorization(SeckillClaims.AdminPolicy).DisableRateLimiting();
        admin.MapGet("", (Blacklist blacklist) => TypedResults.Ok(new BlacklistResponse(blacklist.Entries)));
        admin.MapPost("/{userId}", AddAsync);
        admin.MapDelete("/{userId}", RemoveAsync);
        return app;
    }

    // Each change is stored and applied here, then told to the other instances before the call returns.
    private static async Task<Results<Ok<BlacklistEntry>, CachedProblem>> AddAsync(
        string userId, Blacklist blacklist, BlacklistNews news, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(userId, out var id))
        {
            return RouteIds.Invalid;
        }
        var entry = await blacklist.AddAsync(id, cancellationToken);
        news.Changed(id);
        return TypedResults.Ok(entry);
    }

    private static async Task<Results<NoContent, CachedProblem>> RemoveAsync(
        string userId, Blacklist blacklist, BlacklistNews news, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(userId, out var id))
        {
            return RouteIds.Invalid;
        }
        var removed = await blacklist.RemoveAsync(id, cancellationToken);
        // Told even when it was not listed here: an instance that missed an earlier removal learns it now.
        news.Changed(id);
        return removed ? TypedResults.NoContent() : NotListed;
    }
}
