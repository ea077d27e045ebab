using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Seckill.Web.Security;
using Seckill.Web.Tests.Infrastructure;

namespace Seckill.Web.Tests.Endpoints;

/// <summary>
/// The stack-only validation of new tokens (<see cref="Hs256Tokens"/>) against the JWT handler
/// configured as the service configures it: it may accept only what the handler accepts, with the
/// same user and role, and must accept the tokens Seckill issues.
/// </summary>
public sealed class Hs256TokenTests : IDisposable
{
    private readonly SeckillFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    private AuthOptions Auth => _factory.Get<IOptions<AuthOptions>>().Value;

    private long Now => _factory.Clock.GetUtcNow().ToUnixTimeSeconds();

    /// <summary>A compact token from the given JSON, HMAC-SHA256-signed with <paramref name="key"/>.</summary>
    private static string Jwt(string header, string payload, string key, string? signatureOverride = null)
    {
        var signed = Encode(header) + "." + Encode(payload);
        var signature = Base64Url(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), Encoding.ASCII.GetBytes(signed)));
        return signed + "." + (signatureOverride ?? signature);
    }

    private static string Encode(string json) => Base64Url(Encoding.UTF8.GetBytes(json));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private string Claims(string extra = "", long? exp = null, string? aud = null, string? iss = null, bool nbf = true) =>
        "{" + $"\"iss\":\"{iss ?? Auth.Issuer}\",\"aud\":{aud ?? $"\"{Auth.Audience}\""},\"exp\":{exp ?? Now + 3600}"
            + (nbf ? $",\"nbf\":{Now - 60},\"iat\":{Now - 60}" : "") + extra + "}";

    private const string Header = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

    /// <summary>What the JWT handler, as configured for the service, says of a token: its user and admin role, or null.</summary>
    private async Task<(string? Sub, bool Admin)?> HandlerVerdictAsync(string token)
    {
        var parameters = _factory.Get<IOptionsMonitor<JwtBearerOptions>>().Get(JwtBearerDefaults.AuthenticationScheme).TokenValidationParameters;
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(token, parameters);
        if (!result.IsValid)
        {
            return null;
        }
        return (result.ClaimsIdentity.FindFirst("sub")?.Value, result.ClaimsIdentity.HasClaim("role", "admin"));
    }

    private (string? Sub, bool Admin)? FastVerdict(string token) =>
        _factory.Get<Hs256Tokens>().TryValidate("Bearer " + token, out var principal, out _)
            ? (principal.FindFirst("sub")?.Value, principal.IsAdmin)
            : null;

    [Fact]
    public async Task TheTokensSeckillIssuesAndTheirCommonVariantsAreAcceptedAsTheHandlerAcceptsThem()
    {
        var key = Auth.SigningKey;
        var accepted = new Dictionary<string, string>
        {
            ["issued"] = _factory.Token(41),
            ["issued admin"] = _factory.Token(42, admin: true),
            ["no typ"] = Jwt("{\"alg\":\"HS256\"}", Claims(",\"sub\":\"43\""), key),
            ["audience list"] = Jwt(Header, Claims(",\"sub\":\"44\"", aud: "[\"other\",\"" + Auth.Audience + "\"]"), key),
            ["role list"] = Jwt(Header, Claims(",\"sub\":\"45\",\"role\":[\"clerk\",\"admin\"]"), key),
            ["other claims"] = Jwt(Header, Claims(",\"sub\":\"46\",\"name\":\"A \\\"B\\\"\",\"scope\":[\"a\",1,null],\"x\":{\"y\":[{}]}"), key),
            ["no nbf or iat"] = Jwt(Header, Claims(",\"sub\":\"47\"", nbf: false), key),
            ["no sub"] = Jwt(Header, Claims(), key),
        };
        foreach (var (name, token) in accepted)
        {
            var handler = await HandlerVerdictAsync(token);
            Assert.True(handler is not null, $"{name}: the handler refuses it");
            var fast = FastVerdict(token);
            Assert.True(fast == handler, $"{name}: {fast} against the handler's {handler}");
        }
        Assert.Equal(("42", true), FastVerdict(accepted["issued admin"]));
    }

    [Fact]
    public async Task EverythingElseIsLeftToTheHandler()
    {
        var key = Auth.SigningKey;
        var good = _factory.Token(50);
        var parts = good.Split('.');
        var leftToHandler = new Dictionary<string, string>
        {
            ["other key"] = Jwt(Header, Claims(",\"sub\":\"51\""), key + "x"),
            ["other issuer"] = Jwt(Header, Claims(",\"sub\":\"51\"", iss: "someone"), key),
            ["other audience"] = Jwt(Header, Claims(",\"sub\":\"51\"", aud: "\"someone\""), key),
            ["audience with a slash"] = Jwt(Header, Claims(",\"sub\":\"51\"", aud: $"\"{Auth.Audience}/\""), key),
            ["expired"] = Jwt(Header, Claims(",\"sub\":\"51\"", exp: Now - 120, nbf: false), key),
            ["expired within the skew"] = Jwt(Header, Claims(",\"sub\":\"51\"", exp: Now - 5, nbf: false), key),
            ["not yet valid"] = Jwt(Header, Claims(",\"sub\":\"51\"").Replace($"\"nbf\":{Now - 60}", $"\"nbf\":{Now + 120}"), key),
            ["valid within the skew"] = Jwt(Header, Claims(",\"sub\":\"51\"").Replace($"\"nbf\":{Now - 60}", $"\"nbf\":{Now + 5}"), key),
            ["no expiry"] = Jwt(Header, "{" + $"\"iss\":\"{Auth.Issuer}\",\"aud\":\"{Auth.Audience}\",\"sub\":\"51\"" + "}", key),
            ["expiry as text"] = Jwt(Header, Claims(",\"sub\":\"51\"").Replace($"\"exp\":{Now + 3600}", $"\"exp\":\"{Now + 3600}\""), key),
            ["fractional expiry"] = Jwt(Header, Claims(",\"sub\":\"51\"").Replace($"\"exp\":{Now + 3600}", $"\"exp\":{Now + 3600}.5"), key),
            ["two expiries"] = Jwt(Header, Claims($",\"sub\":\"51\",\"exp\":{Now + 7200}"), key),
            ["numeric sub"] = Jwt(Header, Claims(",\"sub\":51"), key),
            ["two subs"] = Jwt(Header, Claims(",\"sub\":\"51\",\"sub\":\"52\""), key),
            ["alg none"] = Encode("{\"alg\":\"none\"}") + "." + Encode(Claims(",\"sub\":\"51\"")) + ".",
            ["alg HS512 header"] = Jwt("{\"alg\":\"HS512\",\"typ\":\"JWT\"}", Claims(",\"sub\":\"51\""), key),
            ["kid header"] = Jwt("{\"alg\":\"HS256\",\"kid\":\"k1\",\"typ\":\"JWT\"}", Claims(",\"sub\":\"51\""), key),
            ["other typ"] = Jwt("{\"alg\":\"HS256\",\"typ\":\"at+jwt\"}", Claims(",\"sub\":\"51\""), key),
            ["payload swapped"] = $"{parts[0]}.{Encode("{\"sub\":\"52\"}")}.{parts[2]}",
            ["signature altered"] = $"{parts[0]}.{parts[1]}.{(parts[2][0] == 'A' ? 'B' : 'A')}{parts[2][1..]}",
            ["signature cut"] = $"{parts[0]}.{parts[1]}.{parts[2][..^2]}",
            ["padded"] = $"{parts[0]}=.{parts[1]}.{parts[2]}",
            ["space inside"] = $"{parts[0]}. {parts[1]}.{parts[2]}",
            ["four parts"] = good + ".x",
            ["not JSON"] = Jwt(Header, "{\"sub\":\"51\"", key),
            ["array payload"] = Jwt(Header, "[1]", key),
            ["garbage"] = "abc",
        };
        foreach (var (name, token) in leftToHandler)
        {
            Assert.True(FastVerdict(token) is null, $"{name}: accepted without the handler");
        }
        var tokens = _factory.Get<Hs256Tokens>();
        Assert.False(tokens.TryValidate("Basic " + good, out _, out _));
        Assert.False(tokens.TryValidate("Bearer", out _, out _));
        Assert.True(tokens.TryValidate("bearer  " + good + " ", out _, out _)); // as the bearer handler reads the header

        // The ones the handler accepts are still accepted, through it.
        Assert.NotNull(await HandlerVerdictAsync(leftToHandler["expired within the skew"]));
        Assert.NotNull(await HandlerVerdictAsync(leftToHandler["kid header"]));
        Assert.Null(await HandlerVerdictAsync(leftToHandler["other key"]));
    }

    [Fact]
    public async Task ATokenLeftToTheHandlerIsAnsweredAsBefore()
    {
        var sale = await _factory.CreateSaleAsync(stock: 10);
        var key = Auth.SigningKey;
        async Task<HttpResponseMessage> PurchaseWith(string token)
        {
            using var client = _factory.CreateClient();
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return await client.PurchaseAsync(sale.Id);
        }

        // New tokens of the common shape, of the handler's shape, and refused ones.
        Assert.Equal(HttpStatusCode.Created, (await PurchaseWith(Jwt(Header, Claims(",\"sub\":\"61\""), key))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await PurchaseWith(Jwt("{\"alg\":\"HS256\",\"kid\":\"k1\"}", Claims(",\"sub\":\"62\""), key))).StatusCode);
        var expired = await PurchaseWith(Jwt(Header, Claims(",\"sub\":\"63\"", exp: Now - 120, nbf: false), key));
        Assert.Equal((HttpStatusCode.Unauthorized, "token_expired"), (expired.StatusCode, await expired.ProblemCodeAsync()));
        var forged = await PurchaseWith(Jwt(Header, Claims(",\"sub\":\"64\""), key + "x"));
        Assert.Equal((HttpStatusCode.Unauthorized, "invalid_token"), (forged.StatusCode, await forged.ProblemCodeAsync()));
        var noUser = await PurchaseWith(Jwt(Header, Claims(), key));
        Assert.Equal(HttpStatusCode.Forbidden, noUser.StatusCode);
        Assert.Equal(2, (await _factory.SettledStockAsync(sale.Id)).Sold);
    }
}
