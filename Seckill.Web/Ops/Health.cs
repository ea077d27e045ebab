using System.Data.Common;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Seckill.Web.Orders;
using Seckill.Web.Stock;

namespace Seckill.Web.Ops;

/// <summary><c>/health/live</c>: the process answers. <c>/health/ready</c>: and its storage does too (503 if not).</summary>
public static class Health
{
    private const string ReadyTag = "ready";

    public static IServiceCollection AddSeckillHealth(this IServiceCollection services)
    {
        // One check per store, so a 503 names the one that is away.
        services.AddHealthChecks()
            .AddCheck<StorageHealthCheck>("orders-db", tags: [ReadyTag])
            .AddCheck<ShardHealthCheck>("stock-shard", tags: [ReadyTag])
            .AddCheck<PoolHealthCheck>("stock-pool", tags: [ReadyTag]);
        return services;
    }

    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        // Probes come often and from one address (the load balancer): never rate limited.
        app.MapHealthChecks("/health/live", new() { Predicate = _ => false }).DisableRateLimiting();
        app.MapHealthChecks("/health/ready", new() { Predicate = check => check.Tags.Contains(ReadyTag), ResponseWriter = WriteReadinessAsync }).DisableRateLimiting();
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

    private sealed class ShardHealthCheck(IStockShard shard) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                await shard.PingAsync();
                return HealthCheckResult.Healthy();
            }
            catch (StockUnavailableException e)
            {
                return HealthCheckResult.Unhealthy("This instance's stock shard is unreachable.", e);
            }
        }
    }

    private sealed class PoolHealthCheck(IStockPool pool) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                await pool.PingAsync();
                return HealthCheckResult.Healthy();
            }
            catch (StockUnavailableException e)
            {
                return HealthCheckResult.Unhealthy("The shared stock pool is unreachable.", e);
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
