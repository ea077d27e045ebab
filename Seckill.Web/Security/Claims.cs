using System.Security.Claims;

namespace Seckill.Web.Security;

/// <summary>The claims Seckill reads: <c>sub</c> is the user id (a positive integer), <c>role: admin</c> marks admins.</summary>
public static class SeckillClaims
{
    public const string Subject = "sub";
    public const string Role = "role";
    public const string AdminRole = "admin";
    public const string AdminPolicy = "admin";

    public static long UserId(this ClaimsPrincipal user) =>
        TryGetUserId(user, out var id) ? id : throw new InvalidOperationException("The caller has no numeric user id; the authorization policy should have refused it.");

    public static bool TryGetUserId(this ClaimsPrincipal user, out long id)
    {
        id = user is BuyerPrincipal buyer ? buyer.UserId : ParseUserId(user);
        return id > 0;
    }

    public static bool IsAdmin(this ClaimsPrincipal user) => user is BuyerPrincipal buyer ? buyer.IsAdmin : user.HasClaim(Role, AdminRole);

    /// <summary>The positive integer of <c>sub</c>, or 0.</summary>
    internal static long ParseUserId(ClaimsPrincipal user) => ParseUserId(user.FindFirst(Subject)?.Value);

    /// <summary>The positive integer a <c>sub</c> claim's value holds, or 0.</summary>
    internal static long ParseUserId(string? subject) =>
        long.TryParse(subject, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id) && id > 0 ? id : 0;
}
