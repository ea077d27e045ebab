using System.Data.Common;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Seckill.Web.Cluster;
using Seckill.Web.Orders;
using Seckill.Web.Stock;

namespace Seckill.Web.Ops;

/// <summary><c>/health/live</c>: the process answers. <c>/health/ready</c>: and its storage does too (503 if not).</summary>
public static class Health
{
    /// <summary><c>/health/ready</c> runs every registered check: these, and any a storage mode adds (<c>pool-redis</c>).</summary>
    public static IServiceCollection AddHealth(this IServiceCollection services)
    {
        // One check per store, so a 503 names the one that is away.
        services.AddHealthChecks()
            .AddCheck<StorageHealthCheck>("orders-db")
            .Add(new HealthCheckRegistration("stock-shard",
                provider => new StockHealthCheck(provider.GetRequiredService<IShardRouter>().Local.PingAsync, "This instance's stock shard"), null, null));
        return services;
    }

    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        // Probes come often and from one address (the load balancer): never rate limited.
        // Liveness runs no check, so it is a bare endpoint: the cheapest answer this server can
        // give, and the baseline BENCHMARKS.md compares the purchase refusal path against.
        app.MapGet("/health/live", () => TypedResults.Text("Healthy")).DisableRateLimiting();
        // MapHealthChecks answers every method; a probe is a GET (or HEAD), anything else is 405.
        app.MapHealthChecks("/health/ready", new() { ResponseWriter = WriteReadinessAsync })
            .WithMetadata(new HttpMethodMetadata([HttpMethods.Get, HttpMethods.Head]))
            .DisableRateLimiting();
        return app;
    }

    /// <summary>Healthy: plain "Healthy". Not: a 503 problem with code <c>unavailable</c> naming the failing stores.</summary>
    private static Task WriteReadinessAsync(HttpContext context, HealthReport report)
    {
        if (report.Status == HealthStatus.Healthy)
        {
            context.Response.ContentType = "text/plain";
            return context.Response.WriteAsync("Healthy");
        }
        var failing = report.Entries.Where(entry => entry.Value.Status != HealthStatus.Healthy)
            .Select(entry => $"{entry.Key}: {entry.Value.Description}");
        return Http.ApiProblem.Create(StatusCodes.Status503ServiceUnavailable, "unavailable", "Not ready.", string.Join("; ", failing))
            .ExecuteAsync(context);
    }

    /// <summary>A stock store (the shard, or the Redis the instances share) answers its ping.</summary>
    public sealed class StockHealthCheck(Func<ValueTask> ping, string what) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                await ping();
                return HealthCheckResult.Healthy();
            }
            catch (StockUnavailableException e)
            {
                return HealthCheckResult.Unhealthy($"{what} is unreachable.", e);
            }
        }
    }

    private sealed class StorageHealthCheck(IOrderStore orders) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                await orders.PingAsync(cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (DbException e)
            {
                return HealthCheckResult.Unhealthy("The orders database is unreachable.", e);
            }
        }
    }
}
