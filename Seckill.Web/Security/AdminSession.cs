using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Seckill.Web.Security;

/// <summary>
/// An admin's session for pages a browser opens (the jobs dashboard), which cannot send a bearer
/// header: <c>POST /api/admin/session</c> with the admin's bearer token puts that same token in an
/// HttpOnly, SameSite=Strict cookie (Secure over HTTPS) that lives as long as the token.
/// Each request with the cookie validates the token again, exactly as a bearer token is
/// validated (signature, issuer, audience, expiry), on whichever instance it reaches.
/// </summary>
public sealed class AdminSession(IOptionsMonitor<JwtBearerOptions> bearer, TimeProvider time)
{
    public const string CookieName = "seckill_admin";

    private readonly JsonWebTokenHandler _tokens = new() { MapInboundClaims = false };

    /// <summary>Starts the session: the caller has been authorised as an admin by their bearer token.</summary>
    public void Start(HttpContext context)
    {
        var token = BearerToken(context.Request);
        if (token is null)
        {
            return;
        }
        var expires = _tokens.CanReadToken(token) ? _tokens.ReadJsonWebToken(token).ValidTo : time.GetUtcNow().UtcDateTime;
        context.Response.Cookies.Append(CookieName, token, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = context.Request.IsHttps,
            Path = "/",
            Expires = new DateTimeOffset(expires, TimeSpan.Zero),
        });
    }

    public static void End(HttpContext context) => context.Response.Cookies.Delete(CookieName, new CookieOptions { Path = "/" });

    /// <summary>Whether the request carries the cookie of a live admin session.</summary>
    public async Task<bool> IsAdminAsync(HttpContext context)
    {
        if (!context.Request.Cookies.TryGetValue(CookieName, out var token) || string.IsNullOrEmpty(token))
        {
            return false;
        }
        var parameters = bearer.Get(JwtBearerDefaults.AuthenticationScheme).TokenValidationParameters;
        var result = await _tokens.ValidateTokenAsync(token, parameters);
        return result.IsValid && result.ClaimsIdentity.HasClaim(SeckillClaims.Role, SeckillClaims.AdminRole);
    }

    private static string? BearerToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
    }
}
