using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Seckill.Web.Tests.Infrastructure;

namespace Seckill.Web.Tests.Endpoints;

/// <summary>
/// The per-address token bucket with its defaults (5 per second, burst 10). How many requests
/// may pass is computed from the time the burst took, never assumed: at most the burst plus
/// one refill per started second.
/// </summary>
public sealed class RateLimitTests
{
    private static Dictionary<string, string?> DefaultLimits(params (string Key, string Value)[] more)
    {
        var settings = new Dictionary<string, string?>
        {
            ["RateLimits:PerIp:PermitsPerSecond"] = "5",
            ["RateLimits:PerIp:Burst"] = "10",
            ["RateLimits:PerUser:PermitsPerMinute"] = "10",
        };
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }
        return settings;
    }

    private static long Allowed(Stopwatch elapsed) => 10 + 5 * ((long)Math.Ceiling(elapsed.Elapsed.TotalSeconds) + 1);

    /// <summary>Fires <paramref name="count"/> sale reads at once; returns how many passed and one refusal.</summary>
    private static async Task<(int Passed, HttpResponseMessage? Refusal, Stopwatch Elapsed)> BurstAsync(
        SeckillFactory factory, long saleId, int count, string peer, Func<int, string?>? forwardedFor = null)
    {
        using var client = factory.ClientFrom(peer);
        var elapsed = Stopwatch.StartNew();
        var responses = await Task.WhenAll(Enumerable.Range(0, count).Select(i =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, $"/api/sales/{saleId}");
            if (forwardedFor?.Invoke(i) is { } header)
            {
                request.Headers.Add("X-Forwarded-For", header);
            }
            return client.SendAsync(request);
        }));
        elapsed.Stop();
        foreach (var response in responses)
        {
            Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.TooManyRequests, $"unexpected {response.StatusCode}");
        }
        return (responses.Count(r => r.StatusCode == HttpStatusCode.OK),
            responses.FirstOrDefault(r => r.StatusCode == HttpStatusCode.TooManyRequests), elapsed);
    }

    [Fact]
    public async Task TheLimitsRunInTheFrameworksRateLimiterAndShowInItsMetrics()
    {
        using var factory = new SeckillFactory(DefaultLimits(("RateLimits:PerIp:PermitsPerSecond", "1"), ("RateLimits:PerIp:Burst", "1")));
        var sale = await factory.CreateSaleAsync();
        var meters = factory.Services.GetRequiredService<IMeterFactory>();
        var results = new ConcurrentDictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            // Only this host's meters: other tests' hosts run beside it in this process.
            if (instrument.Meter.Scope == meters && instrument.Name == "aspnetcore.rate_limiting.requests")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "aspnetcore.rate_limiting.result")
                {
                    results.AddOrUpdate((string)tag.Value!, value, (_, sum) => sum + value);
                }
            }
        });
        listener.Start();

        var (passed, refusal, _) = await BurstAsync(factory, sale.Id, 20, peer: "10.9.9.9");
        using var health = factory.ClientFrom("10.9.9.9");
        Assert.Equal(HttpStatusCode.OK, (await health.GetAsync("/health/live")).StatusCode); // DisableRateLimiting()

        Assert.NotNull(refusal);
        Assert.Equal(20 - passed, results.GetValueOrDefault("global_limiter"));
        Assert.Equal(passed, results.GetValueOrDefault("acquired"));
    }

    [Fact]
    public async Task OneAddressGetsItsBurstThenA429WithRetryAfterWhileAnotherAddressIsServed()
    {
        using var factory = new SeckillFactory(DefaultLimits());
        var sale = await factory.CreateSaleAsync();

        var (passed, refusal, elapsed) = await BurstAsync(factory, sale.Id, 200, peer: "10.0.0.1");

        Assert.InRange(passed, 1, Allowed(elapsed));
        Assert.NotNull(refusal);
        Assert.Equal("rate_limited", await refusal.ProblemCodeAsync());
        Assert.True(int.TryParse(refusal.Headers.GetValues("Retry-After").Single(), out var retryAfter) && retryAfter >= 1,
            "429 without a usable Retry-After");

        using var other = factory.ClientFrom("10.0.0.2");
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync($"/api/sales/{sale.Id}")).StatusCode);
    }

    [Fact]
    public async Task ASpoofedForwardedForFromAnUntrustedPeerDoesNotChangeItsAddress()
    {
        using var factory = new SeckillFactory(DefaultLimits());
        var sale = await factory.CreateSaleAsync();

        // Every request claims to come from a different client.
        var (passed, refusal, elapsed) = await BurstAsync(factory, sale.Id, 200, peer: "10.0.0.3",
            forwardedFor: i => $"203.0.{i / 200}.{i % 200 + 1}");

        Assert.InRange(passed, 1, Allowed(elapsed));
        Assert.NotNull(refusal);
    }

    [Fact]
    public async Task ATrustedProxyForwardsEachClientToItsOwnBucket()
    {
        using var factory = new SeckillFactory(DefaultLimits(("RateLimits:TrustedProxies:0", "10.9.0.0/16")));
        var sale = await factory.CreateSaleAsync();

        // 200 different clients behind the proxy, one request each: nobody is over its limit.
        var (passed, _, _) = await BurstAsync(factory, sale.Id, 200, peer: "10.9.9.9",
            forwardedFor: i => $"203.0.{i / 200}.{i % 200 + 1}");
        Assert.Equal(200, passed);

        // One client behind the proxy inventing addresses in front of its own: the proxy appended
        // the real one last, and that is the one limited.
        var (spoofed, refusal, elapsed) = await BurstAsync(factory, sale.Id, 200, peer: "10.9.9.9",
            forwardedFor: i => $"198.51.{i / 200}.{i % 200 + 1}, 192.0.2.77");
        Assert.InRange(spoofed, 1, Allowed(elapsed));
        Assert.NotNull(refusal);
    }

    [Fact]
    public async Task HealthAndAdminRoutesAreNotLimited()
    {
        // One permit a second: 150 requests would be refused unless they took minutes.
        using var factory = new SeckillFactory(DefaultLimits(("RateLimits:PerIp:PermitsPerSecond", "1"), ("RateLimits:PerIp:Burst", "1")));
        var sale = await factory.CreateSaleAsync();
        using var probe = factory.ClientFrom("10.0.0.4");
        using var admin = factory.ClientFor(1, admin: true, peer: "10.0.0.4");

        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await probe.GetAsync("/health/live")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/api/admin/sales/{sale.Id}/stock")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/api/sales/{sale.Id}")).StatusCode);
        }
    }

    [Theory]
    [InlineData("10.1.2.3", "::ffff:10.1.2.3", true)]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff", true)]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:3::1", false)]
    [InlineData("10.1.2.3", "10.1.2.4", false)]
    [InlineData("0.0.0.1", "::1", false)]
    public void AddressesShareABucketOnlyWhenTheyAreOneClient(string first, string second, bool same)
    {
        var a = Seckill.Web.Gate.RateLimits.ClientKey(IPAddress.Parse(first));
        var b = Seckill.Web.Gate.RateLimits.ClientKey(IPAddress.Parse(second));
        Assert.Equal(same, a == b);
    }
}
