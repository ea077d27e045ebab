using Microsoft.Extensions.Diagnostics.HealthChecks;
using Seckill.Web.Stock;

namespace Seckill.Web.Storage.Redis;

/// <summary><c>/health/ready</c> in clustered mode: the Redis the instances share answers its ping.</summary>
public sealed class PoolHealthCheck(RedisConnections redis) : IHealthCheck
{
    public const string Name = "pool-redis";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await redis.PingPoolAsync();
            return HealthCheckResult.Healthy();
        }
        catch (StockUnavailableException e)
        {
            return HealthCheckResult.Unhealthy("The Redis the instances share is unreachable.", e);
        }
    }
}
