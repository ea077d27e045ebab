using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace Seckill.Web.Gate;

/// <summary>
/// The rate limits of the gate: a token bucket per client address on every buyer route
/// (<see cref="AddressBuckets"/>) and a sliding window per buyer on purchases
/// (<see cref="BuyerWindows"/>, routes marked <see cref="LimitedPerBuyer{TBuilder}"/>). Routes
/// marked <see cref="WithoutRateLimits{TBuilder}"/> (admin, health) and admin callers are exempt.
/// Refusals are 429 <c>rate_limited</c> with <c>Retry-After</c>.
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
        services.AddHostedService<RateLimitSweep>();
        return services;
    }

    /// <summary>The limits, after authentication (which names the buyer) and before authorization.</summary>
    public static IApplicationBuilder UseRateLimits(this IApplicationBuilder app) => app.UseMiddleware<RateLimitGate>();

    /// <summary>Admin and health routes: never limited.</summary>
    public static TBuilder WithoutRateLimits<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(NotRateLimited.Instance);

    /// <summary>Also limited per buyer (<c>RateLimits:PerUser</c>), on top of the per-address limit.</summary>
    public static TBuilder LimitedPerBuyer<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(PerBuyerLimit.Instance);

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

/// <summary>Endpoint metadata: <see cref="RateLimits.WithoutRateLimits{TBuilder}"/>.</summary>
public sealed class NotRateLimited
{
    public static readonly NotRateLimited Instance = new();
}

/// <summary>Endpoint metadata: <see cref="RateLimits.LimitedPerBuyer{TBuilder}"/>.</summary>
public sealed class PerBuyerLimit
{
    public static readonly PerBuyerLimit Instance = new();
}
