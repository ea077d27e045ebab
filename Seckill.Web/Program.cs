using Seckill.Web.Allocation;
using Seckill.Web.Cluster;
using Seckill.Web.Docs;
using Seckill.Web.Gate;
using Seckill.Web.Http;
using Seckill.Web.Jobs;
using Seckill.Web.Ops;
using Seckill.Web.Orders;
using Seckill.Web.Purchasing;
using Seckill.Web.Sales;
using Seckill.Web.Security;
using Seckill.Web.Stock;
using Seckill.Web.Storage;

// `Seckill.Web token --user 42 [--admin]` prints a development token and exits.
if (TokenCommand.IsInvoked(args))
{
    return TokenCommand.Run(HostSetup.LoadSettings(args), args);
}

var builder = WebApplication.CreateBuilder(args);

// Settings: appsettings.json from the repository root, overridden by environment variables.
builder.AddRepositorySettings();
builder.AddConsoleLogs(); // JSON lines in Production, with the request, instance and sale ids of purchase-path lines
// Before any feature starts: a sale rehearsed on a private twin composed as below, so that the
// first real sale does not pay for compiling the purchase path (Ops/StartupRehearsal).
builder.AddStartupRehearsal(AddFeatures, UsePipeline);
AddFeatures(builder);

var app = builder.Build().ValidateSettings();
UsePipeline(app);

Seckill.Web.StartupBanner.ShowWhenListening(app); // mode, stores, URLs and, in Development, the demo sale's lines to paste
try
{
    app.Run();
}
catch (IOException taken) when (taken.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
{
    // Said in one line and exit code 1, not as a crash: the usual cause is a second start.
    Console.Error.WriteLine($"{taken.Message} Another process listens there (is Seckill already running?): stop it, or listen elsewhere with ASPNETCORE_URLS.");
    return 1;
}
return 0;

// The features, each from its folder. Background services start in this order: the storage
// (schema, connections), the cluster, orders (the shard set from the database), sales, gate, jobs.
static void AddFeatures(WebApplicationBuilder builder)
{
    // Every error is application/problem+json with a code; each feature adds its source-generated JSON.
    builder.Services.AddProblemResponses();
    builder.AddSecurity();   // JWT bearer callers, admin policy
    builder.AddStorage();    // SQLite and in-process stock; or, with connection strings, MySQL and Redis
    builder.AddCluster();    // instance identity, which shard is where, heartbeat, sold-out broadcast
    builder.AddStock();      // the sold-out board
    builder.AddAllocation(); // pool → shard moves
    builder.AddOrders();     // the order writer, pay/cancel/expire, shard recovery
    builder.AddSales();      // publishing and finding sales
    builder.AddGate();       // rate limits, bot rules, blacklist, purchase tokens
    builder.AddPurchasing(); // the purchase endpoint
    builder.AddJobs();       // the job engine (Hangfire), expiry of unpaid orders, the dashboard
    builder.AddOps();        // metrics, health
    builder.AddDocs();       // the OpenAPI document and its reference page
}

// The middleware, in order, then every feature's endpoints.
static void UsePipeline(WebApplication app)
{
    app.UseProblemResponses();
    app.UseForwardedHeaders();      // the client's address, believed only from RateLimits:TrustedProxies
    app.UseSeckillAuthentication(); // the bearer token; a token seen before is answered from memory
    app.UseRateLimits();            // per address and per buyer: after authentication, which names the buyer
    app.UseAuthorization();

    app.MapSecurity();
    app.MapSales();
    app.MapGate();
    app.MapPurchasing();
    app.MapOrders();
    app.MapJobs();
    app.MapOps();
    app.MapDocs();
}

/// <summary>Entry point; public so that tests can host it with WebApplicationFactory.</summary>
public partial class Program;
