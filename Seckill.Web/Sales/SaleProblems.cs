using Seckill.Web.Http;

namespace Seckill.Web.Sales;

/// <summary>
/// What a request about a sale is told when the sale is not there for it: serialised once and
/// written as the same bytes every time (these refusals come by the thousand).
/// </summary>
public static class SaleProblems
{
    public static readonly CachedProblem NotFound = new(StatusCodes.Status404NotFound, "sale_not_found", "Not found.", "There is no such sale.");

    public static readonly CachedProblem NotStarted = new(StatusCodes.Status409Conflict, "not_started", "Not started.", "This sale has not started yet.");

    public static readonly CachedProblem Ended = new(StatusCodes.Status409Conflict, "ended", "Ended.", "This sale has ended.");

    /// <summary>The refusal almost every buyer of a flash sale gets.</summary>
    public static readonly CachedProblem SoldOut = new(StatusCodes.Status409Conflict, "sold_out", "Sold out.", "Every unit of this sale is taken.");
}
