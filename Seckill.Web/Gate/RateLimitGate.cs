using System.Globalization;
using Seckill.Web.Http;
using Seckill.Web.Security;

namespace Seckill.Web.Gate;

/// <summary>
/// The middleware of <see cref="RateLimits"/>: a permit from the client address's bucket, then,
/// on purchase routes, one from the buyer's window. Neither allocates nor locks anything shared.
/// </summary>
public sealed class RateLimitGate(RequestDelegate next, AddressBuckets addresses, BuyerWindows buyers, PurchaseMetrics metrics)
{
    private static readonly CachedProblem Refused = new(StatusCodes.Status429TooManyRequests, "rate_limited",
        "Too many requests.", "Slow down; the Retry-After header says when to try again.");

    // Retry-After values up to a minute, formatted once.
    private static readonly string[] Seconds = Enumerable.Range(0, 61).Select(s => s.ToString(CultureInfo.InvariantCulture)).ToArray();

    public Task InvokeAsync(HttpContext context)
    {
        var endpoint = context.GetEndpoint();
        var metadata = endpoint?.Metadata;
        if (metadata?.GetMetadata<NotRateLimited>() is not null || context.User.IsAdmin())
        {
            return next(context);
        }
        if (!addresses.TryAcquire(RateLimits.ClientKey(context.Connection.RemoteIpAddress), out var wait))
        {
            return RefuseAsync(context, metadata, wait);
        }
        // Anonymous callers are not limited per buyer: authorization answers them 401 next.
        if (metadata?.GetMetadata<PerBuyerLimit>() is not null && context.User.TryGetUserId(out var buyer) && !buyers.TryAcquire(buyer, out wait))
        {
            return RefuseAsync(context, metadata, wait);
        }
        return next(context);
    }

    private Task RefuseAsync(HttpContext context, EndpointMetadataCollection? metadata, TimeSpan wait)
    {
        if (metadata?.GetMetadata<CountsAsPurchase>() is not null)
        {
            metrics.Count(PurchaseResult.RateLimited);
        }
        context.Response.Headers.RetryAfter = Seconds[(int)Math.Clamp(Math.Ceiling(wait.TotalSeconds), 1, 60)];
        return Refused.ExecuteAsync(context);
    }
}

/// <summary>Every ten seconds, forgets the address buckets and buyer windows that have emptied.</summary>
public sealed class RateLimitSweep(AddressBuckets addresses, BuyerWindows buyers, TimeProvider time, ILogger<RateLimitSweep> log) : BackgroundService
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var forgotten = addresses.Sweep() + buyers.Sweep();
                log.LogDebug("Rate limits: forgot {Forgotten} idle buckets and windows; {Addresses} addresses and {Buyers} buyers held",
                    forgotten, addresses.Count, buyers.Count);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
