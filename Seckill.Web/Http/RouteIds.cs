namespace Seckill.Web.Http;

/// <summary>
/// Ids arrive in routes as text and are parsed here, so that a non-numeric or out-of-range id
/// is a coded 400 instead of the bare 404 a route constraint would give.
/// </summary>
public static class RouteIds
{
    public static readonly CachedProblem Invalid = new(StatusCodes.Status400BadRequest, "invalid_id",
        "The request is invalid.", "Ids are positive 64-bit integers.");

    public static bool TryParse(string? text, out long id) =>
        long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out id) && id > 0;
}
