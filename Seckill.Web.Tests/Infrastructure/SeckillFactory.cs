using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Seckill.Web.Security;

namespace Seckill.Web.Tests.Infrastructure;

/// <summary>
/// Hosts the real Seckill.Web in memory with its own throwaway storage, in the mode of this test
/// run (<see cref="TestStore.Mode"/>), and a clock the test controls. Settings can be overridden
/// per test; a second factory on the same <see cref="Store"/> is a restart of the same instance.
/// </summary>
public sealed class SeckillFactory : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;
    private readonly TestStore? _ownStore;
    private readonly Action<IServiceCollection>? _services;

    /// <param name="store">The storage to run on; a new one (disposed with this factory) if null.</param>
    /// <param name="services">Changes to the service's registrations, e.g. to count the calls a store gets.</param>
    public SeckillFactory(IDictionary<string, string?>? settings = null, TestStore? store = null, TestClock? clock = null,
        Action<IServiceCollection>? services = null)
    {
        _services = services;
        _ownStore = store is null ? new TestStore() : null;
        Store = store ?? _ownStore!;
        Clock = clock ?? new TestClock();
        _settings = new Dictionary<string, string?>(Store.Settings)
        {
            // Long enough that a healthy writer always commits within it: tests that want 202
            // set it to 0 or hold the database.
            ["Orders:ConfirmWaitMs"] = "5000",
            // The expire job every second, due jobs looked for ten times a second.
            ["Jobs:SchedulePollingInterval"] = "00:00:00.100",
            ["Logging:LogLevel:Default"] = "Warning",
            // Every in-memory request comes from the same (absent) address: tests about the
            // limits set them back; the rest must not trip over them.
            ["RateLimits:PerIp:PermitsPerSecond"] = "10000000",
            ["RateLimits:PerIp:Burst"] = "10000000",
            // Overload control makes a purchase's answer depend on how busy the machine is: the
            // promises are tested without it, the shedding on its own (OverloadTests, LoadShedderTests).
            ["Overload:Enabled"] = "false",
            // The startup rehearsal (Ops/StartupRehearsal) costs each host seconds and changes nothing
            // a test sees: tested on its own (StartupRehearsalTests).
            ["Rehearsal:Enabled"] = "false",
            ["RateLimits:PerUser:PermitsPerMinute"] = "10000000",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            _settings[key] = value;
        }
    }

    public TestStore Store { get; }

    public TestClock Clock { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        // UseSetting, not ConfigureAppConfiguration: Program reads the storage settings while
        // building (to choose the mode), and only these reach it that early.
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
        builder.ConfigureServices(services =>
        {
            services.Replace(ServiceDescriptor.Singleton<TimeProvider>(Clock));
            services.AddSingleton<IStartupFilter, TestPeerAddress>();
            _services?.Invoke(services);
        });
    }

    /// <summary>Clients look like a browser, so the bot rules (tested on their own) let them through.</summary>
    protected override void ConfigureClient(HttpClient client)
    {
        base.ConfigureClient(client);
        client.DefaultRequestHeaders.UserAgent.ParseAdd(BrowserAgent);
    }

    public const string BrowserAgent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36";

    /// <summary>Changes the database behind the service's back (to simulate drift or lost state).</summary>
    public void ExecuteSql(string sql) => Store.ExecuteSql(sql);

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    /// <summary>
    /// A client that calls as <paramref name="userId"/> with a real signed token, from the TCP
    /// peer address <paramref name="peer"/> if given (in memory there is no peer otherwise).
    /// </summary>
    public HttpClient ClientFor(long userId, bool admin = false, string? peer = null)
    {
        var client = peer is null ? CreateClient() : ClientFrom(peer);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token(userId, admin));
        return client;
    }

    /// <summary>An anonymous client whose requests arrive from the TCP peer <paramref name="peer"/>.</summary>
    public HttpClient ClientFrom(string peer)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Add(TestPeerAddress.Header, peer);
        return client;
    }

    public HttpClient Admin() => ClientFor(1, admin: true);

    public string Token(long userId, bool admin = false) => Get<TokenIssuer>().Issue(userId, admin, TimeSpan.FromHours(1));

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            _ownStore?.Dispose();
        }
    }
}

/// <summary>
/// The service's clock in tests: real time plus an offset the test can push forward, so that a
/// sale can start or end, or a payment deadline pass, without waiting. Timers stay real.
/// </summary>
public sealed class TestClock : TimeProvider
{
    private long _offsetTicks;

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));

    public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);
}

/// <summary>
/// Test-only: sets the connection's peer address from a header, first thing in the pipeline, so
/// tests can play clients behind different addresses and proxies. It runs before the forwarded
/// headers middleware, exactly where Kestrel would have put the real peer.
/// </summary>
internal sealed class TestPeerAddress : IStartupFilter
{
    public const string Header = "X-Test-Peer";

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((context, nextMiddleware) =>
        {
            if (context.Request.Headers.TryGetValue(Header, out var peer))
            {
                context.Connection.RemoteIpAddress = IPAddress.Parse(peer.ToString());
                context.Request.Headers.Remove(Header);
            }
            return nextMiddleware(context);
        });
        next(app);
    };
}
