using Seckill.Web.Http;

namespace Seckill.Web.Gate;

/// <summary>The gate's refusals, serialised once (they answer floods).</summary>
public static class GateProblems
{
    public static readonly CachedProblem BotSuspected = new(StatusCodes.Status403Forbidden, "bot_suspected",
        "Forbidden.", "Requests from scripts are not served on this route.");

    public static readonly CachedProblem Blacklisted = new(StatusCodes.Status403Forbidden, "blacklisted",
        "Forbidden.", "This account may not buy.");

    public static readonly CachedProblem BadToken = new(StatusCodes.Status403Forbidden, "bad_token",
        "Forbidden.", "This sale needs a purchase token from GET /api/sales/{id}/token: missing, expired, or not issued to you for this sale.");
}
