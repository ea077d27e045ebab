using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Seckill.Web.Http;
using Seckill.Web.Security;

namespace Seckill.Web.Gate;

/// <summary>
/// ASP.NET Core's rate limiter, set up for a flash sale: a token bucket per client address on
/// every buyer route (the global limiter) and a sliding window per user on purchases (the
/// <see cref="PerUserPolicy"/> policy). Admin and health routes, and admin callers, are exempt. Refusals are 429
/// <c>rate_limited</c> with <c>Retry-After</c>.
/// </summary>
/// <remarks>
/// The client address is the TCP peer, unless the peer is one of <c>RateLimits:TrustedProxies</c>:
/// then the forwarded-headers middleware replaces it with the address that proxy appended to
/// <c>X-Forwarded-For</c>; IPv6 clients are limited per /64 (see <see cref="ClientKey"/>). Idle partitions are dropped by the partitioned limiter (after about
/// 10 s), so a storm of addresses does not grow memory for good.
/// </remarks>
public static class RateLimits
{
    public const string PerUserPolicy = "per-user-purchase";

    private static readonly CachedProblem Refused = new(StatusCodes.Status429TooManyRequests, "rate_limited",
        "Too many requests.", "Slow down; the Retry-After header says when to try again.");

    // Retry-After values up to a minute, formatted once.
    private static readonly string[] Seconds = Enumerable.Range(0, 61).Select(s => s.ToString(CultureInfo.InvariantCulture)).ToArray();

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

        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<RateLimitOptions>, PurchaseMetrics>((limiter, settings, metrics) =>
        {
            var perIp = settings.Value.PerIp;
            var bucket = new TokenBucketRateLimiterOptions
            {
                TokenLimit = perIp.Burst,
                TokensPerPeriod = perIp.PermitsPerSecond,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                // The partitioned limiter replenishes all buckets from one timer.
                AutoReplenishment = false,
                QueueLimit = 0,
            };
            var window = new SlidingWindowRateLimiterOptions
            {
                PermitLimit = settings.Value.PerUser.PermitsPerMinute,
                Window = TimeSpan.FromMinutes(1),
                SegmentsPerWindow = 6,
                AutoReplenishment = false,
                QueueLimit = 0,
            };
            Func<UInt128, TokenBucketRateLimiterOptions> bucketFor = _ => bucket;
            // The sliding window's leases carry no retry time; a segment is when it next moves.
            var windowMoves = (int)Math.Ceiling(window.Window.TotalSeconds / window.SegmentsPerWindow);
            Func<long, SlidingWindowRateLimiterOptions> windowFor = _ => window;

            // Admins (operators, the load tool's checks) are trusted callers: never limited.
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, UInt128>(context => context.User.IsAdmin()
                ? RateLimitPartition.GetNoLimiter(UInt128.Zero)
                : RateLimitPartition.GetTokenBucketLimiter(ClientKey(context.Connection.RemoteIpAddress), bucketFor));
            // Anonymous callers are not limited here: authorization answers them 401 next.
            limiter.AddPolicy<long>(PerUserPolicy, context => context.User.TryGetUserId(out var userId) && !context.User.IsAdmin()
                ? RateLimitPartition.GetSlidingWindowLimiter(userId, windowFor)
                : RateLimitPartition.GetNoLimiter(0L));
            limiter.OnRejected = (rejected, _) =>
            {
                var context = rejected.HttpContext;
                if (context.GetEndpoint()?.Metadata.GetMetadata<CountsAsPurchase>() is not null)
                {
                    metrics.Count(PurchaseResult.RateLimited);
                }
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait)
                    ? (int)Math.Clamp(Math.Ceiling(wait.TotalSeconds), 1, 60)
                    : windowMoves;
                context.Response.Headers.RetryAfter = Seconds[retryAfter];
                return new ValueTask(Refused.ExecuteAsync(context));
            };
        });
        return services;
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
