using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Data.Sqlite;
using Seckill.Web.Http;
using Seckill.Web.Security;

namespace Seckill.Web.Ops;

/// <summary>What the rehearsal sale came to.</summary>
/// <param name="OnTheServers">The twin sold on the instance's servers (clustered), not in process.</param>
public sealed record RehearsalResult(int Buyers, int Orders, int Paid, int SoldOut, bool OnTheServers);

/// <summary>
/// The private twin of <see cref="StartupRehearsal"/>: a host of the same features with none of
/// the instance's settings (no environment variables, no connection strings: in-process stock and
/// a SQLite file in a temporary folder, a signing key of its own, no logs; clustered, the place on
/// the instance's servers that <see cref="IRehearsalPlace"/> made for it), and the flash sale it
/// is put through over HTTP on loopback, as buyers would: every buyer reads the sale and tries to
/// buy once, the winners follow their order until it is written and every other one pays.
/// </summary>
public static class RehearsalTwin
{
    /// <summary>Concurrent buyers: enough that the order writer's batches hold many orders, as in a sale.</summary>
    private const int Concurrency = 32;

    /// <param name="place">Clustered: where on the instance's servers the twin sells (null: in process).</param>
    public static async Task<RehearsalResult> RunAsync(RehearsalOptions options, TwinComposition composition, IRehearsalPlace? place,
        CancellationToken cancellationToken)
    {
        var folder = Directory.CreateTempSubdirectory("seckill-rehearsal-");
        WebApplication? twin = null;
        IReadOnlyDictionary<string, string?>? servers = null;
        try
        {
            servers = place is null ? null : await place.OpenAsync(cancellationToken);
            twin = Build(folder.FullName, composition, servers);
            await twin.StartAsync(cancellationToken);
            var address = twin.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            var issuer = twin.Services.GetRequiredService<TokenIssuer>();
            using var http = new HttpClient { BaseAddress = new Uri(address) };
            http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("Seckill-Rehearsal", "1"));
            var result = await SellAsync(http, issuer, options, cancellationToken);
            await WhileTheRuntimeCompilesAsync(cancellationToken);
            return result with { OnTheServers = servers is not null };
        }
        finally
        {
            await EndAsync(twin, servers is null ? null : place);
            // The twin's pooled connections hold its file open.
            SqliteConnection.ClearAllPools();
            try
            {
                folder.Delete(recursive: true);
            }
            catch (IOException)
            {
                // A temporary folder; the system clears it.
            }
        }
    }

    /// <summary>
    /// Stops the twin, removes what it left on the servers (clustered) while its connections are
    /// still open, and disposes it; each step even when the one before failed or ran out of time.
    /// </summary>
    private static async Task EndAsync(WebApplication? twin, IRehearsalPlace? place)
    {
        try
        {
            if (twin is not null)
            {
                using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await twin.StopAsync(stopping.Token);
            }
        }
        finally
        {
            try
            {
                if (place is not null)
                {
                    using var removing = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                    await place.RemoveAsync(twin?.Services, removing.Token);
                }
            }
            finally
            {
                if (twin is not null)
                {
                    await twin.DisposeAsync();
                }
            }
        }
    }

    private static WebApplication Build(string folder, TwinComposition composition, IReadOnlyDictionary<string, string?>? servers)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(RehearsalTwin).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environments.Production,
        });
        // Nothing of the instance's: the shipped defaults, then the twin's own.
        builder.Configuration.Sources.Clear();
        builder.Configuration.Sources.Add(HostSetup.SettingsFile());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:SqlitePath"] = Path.Combine(folder, "rehearsal.db"),
            ["Auth:SigningKey"] = Convert.ToHexString(RandomNumberGenerator.GetBytes(32)),
            ["Rehearsal:Enabled"] = "false",
            ["Overload:Enabled"] = "false",
            ["RateLimits:PerIp:PermitsPerSecond"] = "10000000",
            ["RateLimits:PerIp:Burst"] = "10000000",
        });
        if (servers is not null)
        {
            // Clustered: the place the instance's storage made for it on the same servers.
            builder.Configuration.AddInMemoryCollection(servers);
        }
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        composition.Features(builder);
        var twin = builder.Build().ValidateSettings();
        composition.Pipeline(twin);
        return twin;
    }

    private static async Task<RehearsalResult> SellAsync(HttpClient http, TokenIssuer issuer, RehearsalOptions options, CancellationToken cancellationToken)
    {
        var saleId = await CreateSaleAsync(http, issuer, options.Stock, cancellationToken);
        int orders = 0, paid = 0, soldOut = 0;
        await Parallel.ForEachAsync(Enumerable.Range(1, options.Buyers), new ParallelOptions { MaxDegreeOfParallelism = Concurrency, CancellationToken = cancellationToken }, async (buyer, ct) =>
        {
            var token = issuer.Issue(buyer, admin: false, TimeSpan.FromHours(1));
            using (await SendAsync(http, HttpMethod.Get, $"/api/sales/{saleId}", token, null, ct))
            {
                // The sale page, as every buyer reads it before pressing buy.
            }
            using var purchase = await SendAsync(http, HttpMethod.Post, $"/api/sales/{saleId}/purchase", token, """{"quantity":1}""", ct);
            switch ((int)purchase.StatusCode)
            {
                case 201 or 202:
                    var nth = Interlocked.Increment(ref orders);
                    var order = purchase.Headers.Location?.OriginalString ?? throw new InvalidOperationException("A purchase was acknowledged without the order's location.");
                    await FollowAsync(http, order, token, ct);
                    if (nth % 2 == 0)
                    {
                        using var pay = await SendAsync(http, HttpMethod.Post, order + "/pay", token, null, ct);
                        await ExpectAsync(pay, HttpStatusCode.OK, "pay");
                        Interlocked.Increment(ref paid);
                    }
                    break;
                case 409 when await ProblemCodeAsync(purchase, ct) == "sold_out":
                    Interlocked.Increment(ref soldOut);
                    break;
                default:
                    throw await UnexpectedAsync(purchase, "purchase");
            }
        });
        // A rehearsal that sold more or less than its stock found a defect: said, not hidden.
        if (orders != Math.Min(options.Stock, options.Buyers))
        {
            throw new InvalidOperationException($"The rehearsal sale of {options.Stock} units to {options.Buyers} buyers made {orders} orders.");
        }
        return new RehearsalResult(options.Buyers, orders, paid, soldOut, OnTheServers: false);
    }

    private static async Task<long> CreateSaleAsync(HttpClient http, TokenIssuer issuer, int stock, CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow;
        var body = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["sku"] = "REHEARSAL",
            ["name"] = "startup rehearsal",
            ["price"] = 1.00m,
            ["stock"] = stock,
            ["startsAt"] = now.AddSeconds(-1),
            ["endsAt"] = now.AddHours(1),
            ["perUserLimit"] = 1,
        });
        using var created = await SendAsync(http, HttpMethod.Post, "/api/admin/sales", issuer.Issue(1, admin: true, TimeSpan.FromHours(1)), body, cancellationToken);
        await ExpectAsync(created, HttpStatusCode.Created, "creating the sale");
        using var json = JsonDocument.Parse(await created.Content.ReadAsStringAsync(cancellationToken));
        return long.Parse(json.RootElement.GetProperty("id").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Reads the order until the writer has written it, as a buyer told 202 would.</summary>
    private static async Task FollowAsync(HttpClient http, string order, string token, CancellationToken cancellationToken)
    {
        while (true)
        {
            using var poll = await SendAsync(http, HttpMethod.Get, order, token, null, cancellationToken);
            await ExpectAsync(poll, HttpStatusCode.OK, "reading the order");
            using var json = JsonDocument.Parse(await poll.Content.ReadAsStringAsync(cancellationToken));
            if (json.RootElement.GetProperty("status").GetString() != "queued")
            {
                return;
            }
            await Task.Delay(20, cancellationToken);
        }
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpMethod method, string path, string token, string? json, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }
        return await http.SendAsync(request, cancellationToken);
    }

    private static async Task ExpectAsync(HttpResponseMessage response, HttpStatusCode status, string what)
    {
        if (response.StatusCode != status)
        {
            throw await UnexpectedAsync(response, what);
        }
    }

    private static async Task<string?> ProblemCodeAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        return json.RootElement.TryGetProperty("code", out var code) ? code.GetString() : null;
    }

    private static async Task<InvalidOperationException> UnexpectedAsync(HttpResponseMessage response, string what) =>
        new($"The rehearsal's {what} was answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");

    /// <summary>
    /// The runtime optimises the methods the rehearsal made hot on a background thread; waits until
    /// it has stopped compiling (no new method in 200 ms, 5 s at most), so that it does not compete with the instance's start.
    /// </summary>
    private static async Task WhileTheRuntimeCompilesAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        var compiled = System.Runtime.JitInfo.GetCompiledMethodCount();
        while (DateTime.UtcNow < deadline)
        {
            await Task.Delay(200, cancellationToken);
            var now = System.Runtime.JitInfo.GetCompiledMethodCount();
            if (now == compiled)
            {
                return;
            }
            compiled = now;
        }
    }
}
