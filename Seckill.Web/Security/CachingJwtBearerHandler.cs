using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;

namespace Seckill.Web.Security;

/// <summary>The JWT bearer handler, telling <see cref="ValidatedTokens"/> about each token it accepts.</summary>
public sealed class CachingJwtBearerHandler(IOptionsMonitor<JwtBearerOptions> options, ILoggerFactory logger, UrlEncoder encoder, ValidatedTokens tokens)
    : JwtBearerHandler(options, logger, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var result = await base.HandleAuthenticateAsync();
        var authorization = Request.Headers.Authorization;
        if (result.Succeeded && authorization.Count == 1)
        {
            tokens.Remember(authorization[0]!, result.Principal);
        }
        return result;
    }
}
