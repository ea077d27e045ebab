using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;

namespace Seckill.Web.Security;

/// <summary>
/// Authentication with remembered tokens: a request whose Authorization header is one of the
/// <see cref="ValidatedTokens"/> gets its user at once; a new token of the common shape is
/// validated on the stack (<see cref="Hs256Tokens"/>); any other request is authenticated by
/// the JWT bearer handler as usual.
/// </summary>
/// <remarks>
/// In place of <c>UseAuthentication</c>, whose middleware builds a handler, a ticket and a result
/// for every request: that was a good part of what a refusal costs. Challenges (401) and refusals
/// (403) still come from the bearer handler, which remembers why a request did not authenticate.
/// </remarks>
public sealed class RememberedBearerAuthentication(RequestDelegate next, ValidatedTokens tokens, Hs256Tokens newTokens)
{
    public Task Invoke(HttpContext context)
    {
        var authorization = context.Request.Headers.Authorization;
        if (authorization.Count == 1)
        {
            var header = authorization[0]!;
            if (tokens.TryGet(header, out var principal))
            {
                context.User = principal;
                return next(context);
            }
            if (newTokens.TryValidate(header, out principal, out var expires))
            {
                tokens.Remember(header, principal, expires);
                context.User = principal;
                return next(context);
            }
        }
        return AuthenticateAsync(context);
    }

    private async Task AuthenticateAsync(HttpContext context)
    {
        var result = await context.AuthenticateAsync(JwtBearerDefaults.AuthenticationScheme);
        if (result.Succeeded)
        {
            context.User = result.Principal;
        }
        await next(context);
    }
}
