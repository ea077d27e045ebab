using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Seckill.Web.Gate;
using Seckill.Web.Security;

namespace Seckill.Benchmarks;

/// <summary>
/// What a new buyer's purchase costs in the pieces that run for every request before the sale is
/// looked at: validating a token never seen before (through the JWT handler, as before
/// <see cref="Hs256Tokens"/>, and on the stack) and the per-buyer rate limit's first permit. Each
/// operation takes the next of many distinct buyers, as a flash sale's arrivals do.
/// </summary>
[MemoryDiagnoser]
public class NewBuyerBenchmarks
{
    private const int Buyers = 1 << 16;

    private string[] _headers = [];
    private string[] _tokens = [];
    private int _next;
    private long _buyer;
    private Hs256Tokens _stackValidation = null!;
    private JsonWebTokenHandler _handler = null!;
    private TokenValidationParameters _parameters = null!;
    private BuyerWindows _windows = null!;

    [GlobalSetup]
    public void Setup()
    {
        // The service's defaults (appsettings.json's development key is as long as a real one).
        var auth = new AuthOptions { SigningKey = new string('k', 64) };
        var issuer = new TokenIssuer(Options.Create(auth));
        _tokens = Enumerable.Range(1, Buyers).Select(user => issuer.Issue(user, admin: false, TimeSpan.FromHours(1))).ToArray();
        _headers = _tokens.Select(token => "Bearer " + token).ToArray();
        _stackValidation = new Hs256Tokens(Options.Create(auth), TimeProvider.System);
        _handler = new JsonWebTokenHandler { MapInboundClaims = false };
        _parameters = SecuritySetup.TokenValidation(auth);
        _windows = new BuyerWindows(new RateLimitOptions.BuyerLimit { PermitsPerMinute = 10 }, TimeProvider.System);
    }

    private int Next() => _next = (_next + 1) & (Buyers - 1);

    [Benchmark(Baseline = true, Description = "new token, JWT handler")]
    public async Task<bool> NewTokenThroughTheJwtHandler() => (await _handler.ValidateTokenAsync(_tokens[Next()], _parameters)).IsValid;

    [Benchmark(Description = "new token, Hs256Tokens")]
    public bool NewTokenOnTheStack() => _stackValidation.TryValidate(_headers[Next()], out _, out _);

    [Benchmark(Description = "new buyer's first rate-limit permit")]
    public bool NewBuyersFirstPermit() => _windows.TryAcquire(++_buyer, out _);
}
