using System.Security.Claims;

namespace Seckill.Web.Security;

/// <summary>
/// The caller of a remembered token (<see cref="ValidatedTokens"/>), with its user id and admin
/// role read once: every request of a purchase asks for them several times (rate limits, the
/// handler), and reading them is a walk of the claims and a parse each time.
/// </summary>
/// <remarks>Immutable once made, and shared by every request that carries the token.</remarks>
public sealed class BuyerPrincipal : ClaimsPrincipal
{
    public BuyerPrincipal(ClaimsIdentity identity) : base(identity)
    {
        UserId = SeckillClaims.ParseUserId(this);
        IsAdmin = HasClaim(SeckillClaims.Role, SeckillClaims.AdminRole);
    }

    /// <summary>The positive user id of <c>sub</c>, or 0 when it has none.</summary>
    public long UserId { get; }

    public bool IsAdmin { get; }
}
