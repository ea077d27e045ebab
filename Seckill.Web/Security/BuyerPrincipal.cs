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
    public BuyerPrincipal(ClaimsIdentity identity) : this(identity, SeckillClaims.ParseUserId(identity.FindFirst(SeckillClaims.Subject)?.Value),
        identity.HasClaim(SeckillClaims.Role, SeckillClaims.AdminRole))
    {
    }

    /// <summary>For a caller whose user id and role were read from the token itself (<see cref="Hs256Tokens"/>).</summary>
    internal BuyerPrincipal(ClaimsIdentity identity, long userId, bool isAdmin) : base(identity)
    {
        UserId = userId;
        IsAdmin = isAdmin;
    }

    /// <summary>The positive user id of <c>sub</c>, or 0 when it has none.</summary>
    public long UserId { get; }

    public bool IsAdmin { get; }
}
