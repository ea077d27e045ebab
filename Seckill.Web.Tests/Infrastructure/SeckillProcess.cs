using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Extensions.Options;
using Seckill.Web.Sales;
using Seckill.Web.Security;
using Seckill.Web.Stock;

namespace Seckill.Web.Tests.Infrastructure;

/// <summary>
/// Seckill.Web as a real process (<c>dotnet Seckill.Web.dll</c>) on a free loopback port, for the
/// tests that are about the process itself: killed with SIGKILL, restarted on the same storage.
/// </summary>
public sealed class SeckillProcess : IDisposable
{
    public const string SigningKey = "process-test-signing-key-0123456789-abcdefghij";

    private readonly Process _process;
    private readonly string _log;

    private SeckillProcess(IReadOnlyDictionary<string, string?> settings, string logDirectory)
    {
        Port = TestServers.FreePort();
        _log = Path.Combine(logDirectory, $"seckill-{Port}.log");
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = logDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Seckill.Web.dll"));
        start.Environment["ASPNETCORE_URLS"] = BaseAddress.ToString();
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        var all = new Dictionary<string, string?>
        {
            ["Auth:SigningKey"] = SigningKey,
            ["RateLimits:PerIp:PermitsPerSecond"] = "10000000",
            ["RateLimits:PerIp:Burst"] = "10000000",
            // Overload control makes a purchase's answer depend on how busy the machine is: the
            // promises are tested without it, the shedding on its own (OverloadTests, LoadShedderTests).
            ["Overload:Enabled"] = "false",
            // The startup rehearsal (Ops/StartupRehearsal) costs each host seconds and changes nothing
            // a test sees: tested on its own (StartupRehearsalTests).
            ["Rehearsal:Enabled"] = "false",
            ["RateLimits:PerUser:PermitsPerMinute"] = "10000000",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }
        foreach (var (key, value) in all)
        {
            start.Environment[key.Replace(":", "__")] = value;
        }
        _process = TestServers.Launch(start, _log);
    }

    public int Port { get; }

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}/");

    public string Log => File.Exists(_log) ? File.ReadAllText(_log) : "";

    /// <summary>
    /// Waits until the log holds <paramref name="text"/>. Ready does not mean logged: a line the
    /// process wrote before it listened can still be on its way through the output pipe.
    /// </summary>
    public Task LogShowsAsync(string text) =>
        Eventually.TrueAsync(() => Task.FromResult(Log.Contains(text, StringComparison.Ordinal)), () => $"\"{text}\" in the log:\n{Log}");

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Starts the process and waits until <c>/health/ready</c> answers 200 (or it exits).</summary>
    public static async Task<SeckillProcess> StartAsync(IReadOnlyDictionary<string, string?> settings, string logDirectory)
    {
        var process = new SeckillProcess(settings, logDirectory);
        using var probe = new HttpClient { BaseAddress = process.BaseAddress };
        await Eventually.TrueAsync(async () =>
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"Seckill.Web exited with {process.ExitCode} while starting:\n{process.Log}");
            }
            try
            {
                return (await probe.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, () => $"Seckill.Web on port {process.Port} to be ready; log:\n{process.Log}", TimeSpan.FromSeconds(60));
        return process;
    }

    /// <summary>Starts a process expected to fail at startup; returns once it has exited.</summary>
    public static async Task<SeckillProcess> StartExpectingFailureAsync(IReadOnlyDictionary<string, string?> settings, string logDirectory)
    {
        var process = new SeckillProcess(settings, logDirectory);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process._process.WaitForExitAsync(deadline.Token);
        return process;
    }

    /// <summary>SIGKILL: no shutdown, no drain, nothing flushed.</summary>
    public void Kill() => TestServers.Kill(_process);

    /// <summary>
    /// SIGSTOP: the process stands still, its timers and sockets with it, as in a long GC pause or
    /// on a starved machine, until <see cref="Resume"/> (or a kill).
    /// </summary>
    public void Pause() => Send("STOP");

    /// <summary>SIGCONT: a paused process goes on where it stood.</summary>
    public void Resume() => Send("CONT");

    // Bash's own kill: the test needs nothing installed beyond the shell CI runs.
    private void Send(string signal)
    {
        using var kill = Process.Start("bash", ["-c", $"kill -{signal} {_process.Id}"]);
        kill.WaitForExit();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {_process.Id} exited with {kill.ExitCode}");
        }
    }

    public HttpClient ClientFor(long userId, bool admin = false)
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        client.DefaultRequestHeaders.UserAgent.ParseAdd(SeckillFactory.BrowserAgent);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token(userId, admin));
        return client;
    }

    public static string Token(long userId, bool admin = false) =>
        new TokenIssuer(Options.Create(new AuthOptions { SigningKey = SigningKey })).Issue(userId, admin, TimeSpan.FromHours(1));

    public async Task<SaleResponse> CreateSaleAsync(int stock, int perUserLimit = 1)
    {
        using var admin = ClientFor(1, admin: true);
        var startsAt = DateTimeOffset.UtcNow.AddSeconds(-1);
        var response = await admin.PostAsJsonAsync("/api/admin/sales", new
        {
            sku = "SKU-P", name = "Process sale", price = 5m, stock, startsAt, endsAt = startsAt.AddHours(1), perUserLimit,
        });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<SaleResponse>(Api.Json))!;
    }

    /// <summary>
    /// Instance <paramref name="id"/> of the cluster whose database and pool Redis are
    /// <paramref name="cluster"/>'s, with its own shard Redis (<paramref name="shard"/>'s), and <paramref name="extra"/>.
    /// </summary>
    public static IReadOnlyDictionary<string, string?> InstanceSettings(TestStore cluster, int id, TestStore shard, IReadOnlyDictionary<string, string?> extra)
    {
        var settings = new Dictionary<string, string?>(cluster.Settings)
        {
            ["Seckill:InstanceId"] = id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Redis:Shard"] = shard.Settings["Redis:Shard"],
        };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }
        return settings;
    }

    /// <summary>Waits until this instance's stock report (of a probe sale) lists <paramref name="count"/> live shards not reclaimed.</summary>
    public async Task KnowsLiveShardsAsync(int count)
    {
        var probe = await CreateSaleAsync(1);
        await Eventually.TrueAsync(async () => (await StockAsync(probe.Id)).Shards.Count(shard => shard.Live && !shard.Reclaimed) == count,
            $"{count} instances to be live and known");
    }

    public async Task<StockResponse> StockAsync(long saleId)
    {
        using var admin = ClientFor(1, admin: true);
        return (await admin.GetFromJsonAsync<StockResponse>($"/api/admin/sales/{saleId}/stock", Api.Json))!;
    }

    /// <summary>Waits until nothing is reserved or in transit and the conservation law holds.</summary>
    public async Task<StockResponse> SettledStockAsync(long saleId)
    {
        StockResponse stock = null!;
        await Eventually.TrueAsync(async () =>
        {
            stock = await StockAsync(saleId);
            return stock.Reserved == 0 && stock.InTransit == 0 &&
                stock.Total == stock.Pool + stock.Available + stock.Reserved + stock.InTransit + stock.Sold;
        }, () => $"sale {saleId} to settle with its stock conserved; last seen {stock}");
        return stock;
    }

    public void Dispose() => Kill();
}
