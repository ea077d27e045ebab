using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Seckill.Web.Security;
using Seckill.Web.Tests.Infrastructure;

namespace Seckill.Web.Tests.Endpoints;

/// <summary>The cache of validated bearer tokens: it may only ever save work, never accept more.</summary>
public sealed class ValidatedTokenTests
{
    private static ClaimsPrincipal Principal(long exp) =>
        new(new ClaimsIdentity([new Claim("sub", "42"), new Claim("exp", exp.ToString(System.Globalization.CultureInfo.InvariantCulture))], "Bearer"));

    private static ValidatedTokens Cache(TimeProvider clock, int capacity = 100) =>
        new(Options.Create(new AuthOptions { ValidatedTokenCache = capacity }), clock);

    /// <summary>The handler validated the token twice: from then on it is remembered.</summary>
    private static void ValidatedTwice(ValidatedTokens tokens, string authorization, ClaimsPrincipal principal)
    {
        tokens.Remember(authorization, principal);
        tokens.Remember(authorization, principal);
    }

    [Fact]
    public void ATokenSeenOnlyOnceIsNotRemembered()
    {
        var clock = new TestClock();
        var tokens = Cache(clock);
        var principal = Principal(clock.GetUtcNow().AddSeconds(60).ToUnixTimeSeconds());
        tokens.Remember("Bearer a", principal);
        Assert.False(tokens.TryGet("Bearer a", out _));
        Assert.Equal(0, tokens.Count);
        tokens.Remember("Bearer a", principal);
        Assert.True(tokens.TryGet("Bearer a", out _));
    }

    [Fact]
    public void ATokenIsRememberedUntilItsExpiryAndNoLonger()
    {
        var clock = new TestClock();
        var tokens = Cache(clock);
        ValidatedTwice(tokens, "Bearer a", Principal(clock.GetUtcNow().AddSeconds(60).ToUnixTimeSeconds()));
        Assert.True(tokens.TryGet("Bearer a", out var principal));
        Assert.Equal(("42", 42L), (principal.FindFirst("sub")!.Value, principal.UserId));
        Assert.False(tokens.TryGet("Bearer a ", out _)); // only the exact text
        Assert.False(tokens.TryGet("Bearer b", out _));

        clock.Advance(TimeSpan.FromSeconds(61));
        Assert.False(tokens.TryGet("Bearer a", out _));
        Assert.Equal(0, tokens.Count);
    }

    [Fact]
    public void TheCacheIsBoundedAndCanBeTurnedOff()
    {
        var clock = new TestClock();
        var exp = clock.GetUtcNow().AddHours(1).ToUnixTimeSeconds();
        var bounded = Cache(clock, capacity: 4);
        for (var i = 1; i <= 7; i++)
        {
            ValidatedTwice(bounded, $"Bearer {i}", Principal(exp));
            Assert.InRange(bounded.Count, 1, 4);
        }
        // Two generations of two: the oldest are forgotten first, the newest are all there.
        Assert.False(bounded.TryGet("Bearer 1", out _));
        Assert.False(bounded.TryGet("Bearer 4", out _));
        Assert.True(bounded.TryGet("Bearer 5", out _));
        Assert.True(bounded.TryGet("Bearer 7", out _));

        var off = Cache(clock, capacity: 0);
        ValidatedTwice(off, "Bearer 1", Principal(exp));
        Assert.False(off.TryGet("Bearer 1", out _));

        // A principal without an expiry is never remembered.
        var noExpiry = Cache(clock);
        ValidatedTwice(noExpiry, "Bearer x", new ClaimsPrincipal(new ClaimsIdentity([new Claim("sub", "1")], "Bearer")));
        Assert.Equal(0, noExpiry.Count);
    }

    [Fact]
    public async Task AnAlteredTokenIsRefusedAfterTheRealOneWasRemembered()
    {
        using var factory = new SeckillFactory();
        var sale = await factory.CreateSaleAsync(stock: 10);
        using var client = factory.ClientFor(77);
        var token = client.DefaultRequestHeaders.Authorization!.Parameter!;
        Assert.Equal(HttpStatusCode.Created, (await client.PurchaseAsync(sale.Id)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await client.PurchaseAsync(sale.Id)).StatusCode); // already_purchased: still the same user
        Assert.True(factory.Get<ValidatedTokens>().TryGet("Bearer " + token, out _));

        // Same header and payload, another signature; and the remembered token with a different payload.
        var parts = token.Split('.');
        var forgedSignature = $"{parts[0]}.{parts[1]}.{(parts[2][0] == 'A' ? 'B' : 'A')}{parts[2][1..]}";
        var otherPayload = $"{parts[0]}.{Convert.ToBase64String("{\"sub\":\"78\"}"u8.ToArray()).TrimEnd('=')}.{parts[2]}";
        foreach (var forged in new[] { forgedSignature, otherPayload })
        {
            using var attacker = factory.CreateClient();
            attacker.DefaultRequestHeaders.UserAgent.ParseAdd(SeckillFactory.BrowserAgent);
            attacker.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", forged);
            var refused = await attacker.PurchaseAsync(sale.Id);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Equal("invalid_token", await refused.ProblemCodeAsync());
        }
        Assert.Equal(1, (await factory.SettledStockAsync(sale.Id)).Sold);
    }

    [Fact]
    public async Task ARememberedTokenGrantsNoMoreThanItsClaims()
    {
        using var factory = new SeckillFactory();
        var sale = await factory.CreateSaleAsync(stock: 10);
        using var buyer = factory.ClientFor(79);
        using var admin = factory.ClientFor(1, admin: true);
        var stockPath = $"/api/admin/sales/{sale.Id}/stock";
        for (var i = 0; i < 3; i++)
        {
            // From the second request on, both tokens are answered from memory.
            var forbidden = await buyer.GetAsync(stockPath);
            Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
            Assert.Equal("forbidden", await forbidden.ProblemCodeAsync());
            Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync(stockPath)).StatusCode);
        }
        Assert.True(factory.Get<ValidatedTokens>().TryGet(buyer.DefaultRequestHeaders.Authorization!.ToString(), out var remembered));
        Assert.Equal("79", remembered.FindFirst("sub")!.Value);
        Assert.Equal(HttpStatusCode.Created, (await buyer.PurchaseAsync(sale.Id)).StatusCode);
        var again = await buyer.PurchaseAsync(sale.Id);
        Assert.Equal("already_purchased", await again.ProblemCodeAsync());
    }

    [Fact]
    public async Task ATokenIsValidatedByItsFirstTwoRequestsOnly()
    {
        var validations = 0;
        using var factory = new SeckillFactory(services: services =>
            services.PostConfigure<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme, jwt =>
            {
                var validated = jwt.Events.OnTokenValidated;
                jwt.Events.OnTokenValidated = context =>
                {
                    if (context.Principal!.FindFirst("sub")!.Value == "80")
                    {
                        Interlocked.Increment(ref validations);
                    }
                    return validated(context);
                };
            }));
        var sale = await factory.CreateSaleAsync(stock: 10);
        // A header naming its key: a token Hs256Tokens leaves to the handler, so that its validations can be counted.
        var auth = factory.Get<IOptions<AuthOptions>>().Value;
        using var buyer = factory.CreateClient();
        buyer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            TestTokens.Sign(auth.SigningKey, auth.Issuer, "80", DateTime.UtcNow.AddMinutes(30), keyId: "k1"));
        var header = buyer.DefaultRequestHeaders.Authorization!.ToString();
        var tokens = factory.Get<ValidatedTokens>();

        Assert.Equal(HttpStatusCode.OK, (await buyer.GetAsync($"/api/sales/{sale.Id}")).StatusCode);
        Assert.False(tokens.TryGet(header, out _));
        Assert.Equal(HttpStatusCode.OK, (await buyer.GetAsync($"/api/sales/{sale.Id}")).StatusCode);
        Assert.True(tokens.TryGet(header, out _));
        // From then on the token is answered from memory, and nothing else validates it again
        // (ASP.NET's own authentication middleware would, were the bearer its default scheme).
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await buyer.GetAsync($"/api/sales/{sale.Id}")).StatusCode);
        }
        Assert.Equal(2, validations);
    }
}
