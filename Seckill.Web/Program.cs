using Seckill.Web;
using Seckill.Web.Gate;
using Seckill.Web.Http;
using Seckill.Web.Ops;
using Seckill.Web.Security;
using Seckill.Web.Storage;

// `Seckill.Web token --user 42 [--admin]` prints a development token and exits.
if (TokenCommand.IsInvoked(args))
{
    return TokenCommand.Run(HostSetup.LoadSettings(args), args);
}

var builder = WebApplication.CreateBuilder(args);

// Settings: appsettings.json from the repository root, overridden by environment variables.
builder.AddRepositorySettings();

// Every error is application/problem+json with a code; JSON is source-generated.
builder.Services.AddProblemResponses();
builder.Services.AddSeckillJson();

// Callers: JWT bearer (HS256), admin policy.
builder.AddSeckillAuth();

// Storage: SQLite file and in-process stock (embedded mode), or with connection strings MySQL
// and Redis (clustered mode).
builder.AddSeckillStorage();

// The gate in front of stock: rate limits, bot rules, blacklist, purchase tokens, sale id filter, metrics.
builder.AddRequestGate();

// The flash sale itself: sales, stock, checkout, order writer, expiry.
builder.AddFlashSale();
builder.Services.AddSeckillHealth();

var app = builder.Build().ValidateSettings();

app.UseProblemResponses();
app.UseForwardedHeaders();      // the client's address, believed only from RateLimits:TrustedProxies
app.UseSeckillAuthentication(); // the bearer token; a token seen before is answered from memory
app.UseRateLimits();            // per address and per buyer: after authentication, which names the buyer
app.UseAuthorization();

app.MapFlashSale();
app.MapRequestGate();
app.MapHealth();

app.Run();
return 0;

/// <summary>Entry point; public so that tests can host it with WebApplicationFactory.</summary>
public partial class Program;
