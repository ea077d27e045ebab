using System.Data.Common;
using Seckill.Web.Storage.MySql;
using Seckill.Web.Storage.Redis;

namespace Seckill.Web.Storage;

/// <summary>
/// Clustered mode, before anything else: migrates MySQL, then connects both Redis under the
/// cluster identity the database holds. A store that does not answer fails the start, naming its
/// setting.
/// </summary>
public sealed class ClusteredStorageStartup(RedisConnections redis, MySqlDatabase mysql) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        string clusterId;
        try
        {
            await mysql.MigrateAsync(cancellationToken);
            clusterId = await mysql.ClusterIdAsync(cancellationToken);
        }
        catch (DbException e)
        {
            throw new InvalidOperationException($"{ClusteredStorageOptions.MysqlKey}: cannot reach MySQL: {e.Message}", e);
        }
        await redis.ConnectAsync(clusterId);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
