using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Seckill.Web.Http;
using Seckill.Web.Ops;

namespace Seckill.Web.Gate;

/// <summary>
/// The rate limits of the gate, through ASP.NET's rate limiting (<c>AddRateLimiter</c>,
/// <c>UseRateLimiter</c>): a token bucket per client address on every route that does not
/// <c>DisableRateLimiting()</c> (<see cref="AddressBuckets"/>), and a sliding window per buyer on
/// routes that <c>RequireRateLimiting(RateLimits.PerBuyerPolicy)</c> (<see cref="BuyerWindows"/>),
/// both applied by <see cref="GateRateLimiter"/>. Admin callers are exempt. Refusals are 429
/// <c>rate_limited</c> with <c>Retry-After</c>, and show in the framework's rate-limiting metrics.
/// </summary>
/// <remarks>
/// The client address is the TCP peer, unless the peer is one of <c>RateLimits:TrustedProxies</c>:
/// then the forwarded-headers middleware replaces it with the address that proxy appended to
/// <c>X-Forwarded-For</c>; IPv6 clients are limited per /64 (see <see cref="ClientKey"/>). Buckets
/// and windows that have emptied are forgotten every ten seconds (<see cref="RateLimitSweep"/>),
/// so a storm of addresses or buyers does not grow memory for good.
/// </remarks>
public static class RateLimits
{
    /// <summary>The policy a route requires to be limited per buyer as well (purchases).</summary>
    public const string PerBuyerPolicy = "per-buyer";

    private static readonly CachedProblem Refused = new(StatusCodes.Status429TooManyRequests, "rate_limited",
        "Too many requests.", "Slow down; the Retry-After header says when to try again.");

    // Retry-After values up to a minute, formatted once.
    private static readonly string[] Seconds =
        Enumerable.Range(0, GateRateLimiter.MaxRetryAfterSeconds + 1).Select(s => s.ToString(CultureInfo.InvariantCulture)).ToArray();

    public static IServiceCollection AddSeckillRateLimits(this IServiceCollection services)
    {
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<RateLimitOptions>>((forwarded, limits) =>
        {
            // With no proxy configured the header is not read at all: the middleware would believe
            // it from anyone once its (loopback) defaults are cleared.
            forwarded.ForwardedHeaders = limits.Value.TrustedProxies.Length > 0 ? ForwardedHeaders.XForwardedFor : ForwardedHeaders.None;
            // The framework trusts loopback by default; here only what is configured is trusted.
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var entry in limits.Value.TrustedProxies)
            {
                if (IPAddress.TryParse(entry, out var address))
                {
                    forwarded.KnownProxies.Add(address);
                }
                else
                {
                    forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(entry));
                }
            }
            // Walk X-Forwarded-For from the right while each hop is a trusted proxy; the first
            // untrusted hop is the client. Entries a client wrote itself are never reached.
            forwarded.ForwardLimit = null;
        });

        services.AddSingleton(provider => new AddressBuckets(
            provider.GetRequiredService<IOptions<RateLimitOptions>>().Value.PerIp, provider.GetRequiredService<TimeProvider>()));
        services.AddSingleton(provider => new BuyerWindows(
            provider.GetRequiredService<IOptions<RateLimitOptions>>().Value.PerUser, provider.GetRequiredService<TimeProvider>()));
        services.AddSingleton<GateRateLimiter>();
        services.AddHostedService<RateLimitSweep>();
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<GateRateLimiter>((options, limiter) =>
        {
            options.GlobalLimiter = limiter;
            // Applied by the global limiter (see GateRateLimiter): the policy only marks the routes.
            options.AddPolicy(PerBuyerPolicy, _ => RateLimitPartition.GetNoLimiter(PerBuyerPolicy));
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.OnRejected = RejectAsync;
        });
        return services;
    }

    /// <summary>The limits, after authentication (which names the buyer) and before authorization.</summary>
    public static IApplicationBuilder UseRateLimits(this IApplicationBuilder app) => app.UseRateLimiter();

    /// <summary>Whether the route requires <see cref="PerBuyerPolicy"/> (purchases).</summary>
    public static bool IsPerBuyer(Endpoint? endpoint) =>
        endpoint?.Metadata.GetMetadata<EnableRateLimitingAttribute>()?.PolicyName == PerBuyerPolicy;

    private static ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var context = rejected.HttpContext;
        if (context.GetEndpoint()?.Metadata.GetMetadata<CountsAsPurchase>() is not null)
        {
            context.RequestServices.GetRequiredService<PurchaseMetrics>().Count(PurchaseResult.RateLimited);
        }
        var wait = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(1);
        context.Response.Headers.RetryAfter = Seconds[(int)Math.Clamp(Math.Ceiling(wait.TotalSeconds), 1, GateRateLimiter.MaxRetryAfterSeconds)];
        return new ValueTask(Refused.ExecuteAsync(context));
    }

    /// <summary>
    /// The bucket a client address falls in, without allocating: an IPv4 address (also when it
    /// arrives IPv4-mapped on a dual-stack socket) is itself; an IPv6 address counts by its /64,
    /// the block one subscriber is given, so rotating through it does not buy more permits.
    /// </summary>
    public static UInt128 ClientKey(IPAddress? address)
    {
        if (address is null)
        {
            return UInt128.Zero;
        }
        Span<byte> bytes = stackalloc byte[16];
        if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork || address.IsIPv4MappedToIPv6)
        {
            var v4 = bytes[..4];
            if (address.IsIPv4MappedToIPv6)
            {
                address.TryWriteBytes(bytes, out _);
                v4 = bytes[12..];
            }
            else
            {
                address.TryWriteBytes(v4, out _);
            }
            return new UInt128(0, 0xFFFF_0000_0000UL | System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(v4));
        }
        address.TryWriteBytes(bytes, out _);
        return new UInt128(System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes), 0);
    }
}

/// <summary>Endpoint metadata: refusals on this route are counted in <see cref="PurchaseMetrics"/>.</summary>
public sealed class CountsAsPurchase;
