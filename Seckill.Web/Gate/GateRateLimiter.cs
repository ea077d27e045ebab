using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Seckill.Web.Security;

namespace Seckill.Web.Gate;

/// <summary>
/// The gate's limits as ASP.NET's global rate limiter (<see cref="RateLimiterOptions.GlobalLimiter"/>):
/// a permit from the client address's bucket (<see cref="AddressBuckets"/>), then, on routes that
/// require the <see cref="RateLimits.PerBuyerPolicy"/> policy, one from the buyer's window
/// (<see cref="BuyerWindows"/>). Admin callers are not limited; routes with
/// <c>DisableRateLimiting()</c> never reach it.
/// </summary>
/// <remarks>
/// <para>Why the buyer's window is applied here rather than by the named policy itself: the
/// framework keeps one limiter object per partition of a policy in a dictionary under one lock,
/// and walks them all ten times a second. With a partition per buyer, that is hundreds of
/// thousands of objects in a flash sale, which cost more than the rest of a refusal
/// (BENCHMARKS.md). So the policy is registered with a single partition that never refuses, and
/// stands on a route as the mark of what this limiter enforces.</para>
/// <para>Allocates nothing per request: leases are shared, one granted lease and one refused
/// lease per whole second of <c>Retry-After</c>. Thread-safe, lock-free but for a buyer's own window.</para>
/// </remarks>
public sealed class GateRateLimiter(AddressBuckets addresses, BuyerWindows buyers) : PartitionedRateLimiter<HttpContext>
{
    /// <summary>Longest Retry-After told (a buyer's window frees a permit within a minute).</summary>
    public const int MaxRetryAfterSeconds = 60;

    private static readonly RateLimitLease Granted = new Lease(acquired: true, TimeSpan.Zero);
    private static readonly RateLimitLease[] Refused =
        Enumerable.Range(0, MaxRetryAfterSeconds + 1).Select(seconds => (RateLimitLease)new Lease(acquired: false, TimeSpan.FromSeconds(seconds))).ToArray();

    protected override RateLimitLease AttemptAcquireCore(HttpContext context, int permitCount)
    {
        if (context.User.IsAdmin())
        {
            return Granted;
        }
        if (!addresses.TryAcquire(RateLimits.ClientKey(context.Connection.RemoteIpAddress), out var wait))
        {
            return RefusedFor(wait);
        }
        // Anonymous callers are not limited per buyer: authorization answers them 401 next.
        if (RateLimits.IsPerBuyer(context.GetEndpoint()) && context.User.TryGetUserId(out var buyer) && !buyers.TryAcquire(buyer, out wait))
        {
            return RefusedFor(wait);
        }
        return Granted;
    }

    // No queue: a request is answered at once, whichever way.
    protected override ValueTask<RateLimitLease> AcquireAsyncCore(HttpContext context, int permitCount, CancellationToken cancellationToken) =>
        new(AttemptAcquireCore(context, permitCount));

    public override RateLimiterStatistics? GetStatistics(HttpContext resource) => null;

    private static RateLimitLease RefusedFor(TimeSpan wait) => Refused[(int)Math.Clamp(Math.Ceiling(wait.TotalSeconds), 1, MaxRetryAfterSeconds)];

    /// <summary>A shared, immutable lease; disposing it releases nothing (these limiters replenish by time).</summary>
    private sealed class Lease(bool acquired, TimeSpan retryAfter) : RateLimitLease
    {
        private static readonly string[] Names = [MetadataName.RetryAfter.Name];

        public override bool IsAcquired => acquired;

        public override IEnumerable<string> MetadataNames => acquired ? [] : Names;

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = !acquired && metadataName == MetadataName.RetryAfter.Name ? retryAfter : null;
            return metadata is not null;
        }

        protected override void Dispose(bool disposing)
        {
        }
    }
}
