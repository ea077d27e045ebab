using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Seckill.Web.Http;
using Seckill.Web.Sales;
using Seckill.Web.Security;

namespace Seckill.Web.Gate;

/// <param name="Token">Send it with the purchase: body field <c>token</c> or header <c>X-Purchase-Token</c>.</param>
public sealed record PurchaseTokenResponse(string Token, DateTimeOffset ExpiresAt);

/// <summary>What the token endpoint checks and issues with (bound by <c>[AsParameters]</c>).</summary>
public readonly record struct TokenServices(BotRules Bots, Blacklist Blacklist, SaleDirectory Sales, PurchaseTokens Tokens, TimeProvider Time);

public static class PurchaseTokenApi
{
    public const string Header = "X-Purchase-Token";

    public static IEndpointRouteBuilder MapPurchaseTokens(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/sales/{id}/token", Issue).RequireAuthorization();
        return app;
    }

    /// <summary>Issued only while the sale runs, to a buyer who may buy: a token fetched early is impossible.</summary>
    private static async Task<Results<Ok<PurchaseTokenResponse>, CachedProblem>> Issue(
        string id, HttpRequest request, ClaimsPrincipal user, [AsParameters] TokenServices services)
    {
        if (services.Bots.IsSuspect(request))
        {
            return GateProblems.BotSuspected;
        }
        if (!RouteIds.TryParse(id, out var saleId))
        {
            return RouteIds.Invalid;
        }
        if (await services.Sales.FindAsync(saleId) is not { } sale)
        {
            return SaleProblems.NotFound;
        }
        var now = services.Time.GetUtcNow();
        if (!sale.HasStarted(now))
        {
            return SaleProblems.NotStarted;
        }
        if (sale.HasEnded(now))
        {
            return SaleProblems.Ended;
        }
        var userId = user.UserId();
        if (services.Blacklist.Contains(userId))
        {
            return GateProblems.Blacklisted;
        }
        var (token, expiresAt) = services.Tokens.Issue(saleId, userId);
        return TypedResults.Ok(new PurchaseTokenResponse(token, expiresAt));
    }
}
