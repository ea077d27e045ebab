using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Seckill.Web.Http;

namespace Seckill.Web.Security;

public static class SecuritySetup
{
    /// <summary>JWT bearer (HS256) with problem responses for 401/403 and an admin policy.</summary>
    public static WebApplicationBuilder AddSecurity(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<TokenIssuer>();
        builder.Services.AddSingleton<AdminSession>();
        builder.Services.AddHostedService<SigningKeyCheck>();

        // No default *authenticate* scheme, so the authentication middleware WebApplication adds by
        // itself leaves requests alone and RememberedBearerAuthentication (UseSeckillAuthentication)
        // authenticates them. ASP.NET would otherwise make the only scheme the default for
        // everything; this documented switch turns that off. Challenges and refusals stay the bearer's.
        AppContext.SetSwitch("Microsoft.AspNetCore.Authentication.SuppressAutoDefaultScheme", true);
        builder.Services.AddAuthentication(authentication =>
        {
            authentication.DefaultChallengeScheme = JwtBearerDefaults.AuthenticationScheme;
            authentication.DefaultForbidScheme = JwtBearerDefaults.AuthenticationScheme;
        }).AddJwtBearer();
        // The bearer scheme's handler remembers validated tokens until they expire (ValidatedTokens).
        builder.Services.AddSingleton<ValidatedTokens>();
        builder.Services.AddSingleton<Hs256Tokens>();
        builder.Services.Configure<Microsoft.AspNetCore.Authentication.AuthenticationOptions>(authentication =>
            authentication.Schemes.Single(s => s.Name == JwtBearerDefaults.AuthenticationScheme).HandlerType = typeof(CachingJwtBearerHandler));
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<AuthOptions>>((jwt, auth) =>
            {
                // Keep "sub" and "role" as they are in the token instead of mapping them to
                // long WS-* claim types.
                jwt.MapInboundClaims = false;
                jwt.TokenValidationParameters = TokenValidation(auth.Value);
                jwt.Events = new JwtBearerEvents
                {
                    OnChallenge = async context =>
                    {
                        context.HandleResponse();
                        var (code, detail) = context.AuthenticateFailure switch
                        {
                            SecurityTokenExpiredException => ("token_expired", "The bearer token has expired."),
                            not null => ("invalid_token", "The bearer token is not valid."),
                            null => ("unauthorized", "A bearer token is required."),
                        };
                        await ApiProblem.Create(StatusCodes.Status401Unauthorized, code, "Unauthorized.", detail).ExecuteAsync(context.HttpContext);
                    },
                    OnForbidden = context =>
                        ApiProblem.Create(StatusCodes.Status403Forbidden, "forbidden", "Forbidden.", "This route needs a role the caller does not have.")
                            .ExecuteAsync(context.HttpContext),
                };
            });

        builder.Services.AddAuthorizationBuilder()
            // Every authenticated route needs a user id we can use: a positive integer "sub".
            // No scheme named in the policies: UseAuthentication has already run the bearer scheme
            // (the default) for every request, and naming it would authenticate each request twice.
            .SetDefaultPolicy(new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder()
                .RequireAuthenticatedUser()
                .RequireAssertion(context => context.User.TryGetUserId(out _))
                .Build())
            .AddPolicy(SeckillClaims.AdminPolicy, policy => policy
                .RequireAuthenticatedUser()
                .RequireClaim(SeckillClaims.Role, SeckillClaims.AdminRole));
        return builder;
    }

    /// <summary>How the bearer handler validates a token (<see cref="Hs256Tokens"/> accepts a subset of it).</summary>
    public static TokenValidationParameters TokenValidation(AuthOptions auth) => new()
    {
        ValidIssuer = auth.Issuer,
        ValidAudience = auth.Audience,
        IssuerSigningKey = TokenIssuer.KeyFrom(auth),
        ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
        NameClaimType = SeckillClaims.Subject,
        RoleClaimType = SeckillClaims.Role,
        ClockSkew = TimeSpan.FromSeconds(30),
    };

    public static WebApplication MapSecurity(this WebApplication app)
    {
        app.MapAdminSession();
        return app;
    }

    /// <summary>Authentication by bearer token, remembered tokens answered first (<see cref="RememberedBearerAuthentication"/>).</summary>
    /// <remarks>
    /// Marks the pipeline as having its authentication middleware, as <c>UseAuthentication</c>
    /// does with this property: otherwise WebApplication puts ASP.NET's own at the front of the
    /// pipeline, which on every request creates the request's service scope and a feature and
    /// authenticates nothing (there is no default authenticate scheme, see AddSecurity): in a
    /// profile of the sold-out refusal it was a fifth of the pipeline's time.
    /// </remarks>
    public static IApplicationBuilder UseSeckillAuthentication(this IApplicationBuilder app)
    {
        app.Properties["__AuthenticationMiddlewareSet"] = true;
        return app.UseMiddleware<RememberedBearerAuthentication>();
    }
}
