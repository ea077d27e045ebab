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

    private static async Task<Results<Ok<BlacklistEntry>, CachedProblem>> AddAsync(string userId, Blacklist blacklist, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(userId, out var id))
        {
            return RouteIds.Invalid;
        }
        return TypedResults.Ok(await blacklist.AddAsync(id, cancellationToken));
    }

    private static async Task<Results<NoContent, CachedProblem>> RemoveAsync(string userId, Blacklist blacklist, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(userId, out var id))
        {
            return RouteIds.Invalid;
        }
        return await blacklist.RemoveAsync(id, cancellationToken) ? TypedResults.NoContent() : NotListed;
    }
}
