using Microsoft.Extensions.Options;
using Seckill.Web.Gate;
using Seckill.Web.Orders;
using Seckill.Web.Sales;
using Seckill.Web.Stock;
using Seckill.Web.Storage.MySql;
using Seckill.Web.Storage.Redis;
using Seckill.Web.Storage.Sql;

namespace Seckill.Web.Storage;

public static class ClusteredStorage
{
    /// <summary>
    /// Clustered mode (any of <c>ConnectionStrings:Mysql</c>, <c>Redis:Pool</c>, <c>Redis:Shard</c>
    /// set; then all three are required): orders in MySQL, the pool in the shared Redis, this
    /// instance's shard in its own Redis. Everything above these interfaces is the same code as
    /// in the embedded mode.
    /// </summary>
    public static WebApplicationBuilder AddClusteredStorage(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ClusteredStorageOptions>()
            .Configure<IConfiguration>((options, configuration) => ClusteredStorageOptions.Bind(configuration, options))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<ClusteredStorageOptions>, ClusteredStorageOptionsValidator>();

        services.AddSingleton<MySqlDatabase>();
        services.AddSingleton<SqlDatabase>(provider => provider.GetRequiredService<MySqlDatabase>());
        services.AddSingleton<ISaleStore, SqlSaleStore>();
        services.AddSingleton<IOrderStore, SqlOrderStore>();
        services.AddSingleton<IBlacklistStore, SqlBlacklistStore>();

        services.AddSingleton<RedisConnections>();
        services.AddSingleton<IStockPool, RedisStockPool>();
        services.AddSingleton<IStockShard, RedisStockShard>();
        services.AddSingleton<SoldOutChannel>();
        services.AddSingleton<ISoldOutBroadcast>(provider => provider.GetRequiredService<SoldOutChannel>());
        services.AddSingleton<InstanceHeartbeat>();

        // Hosted services start in registration order: connections and schema, then the stock
        // left mid-move by a crash, then the broadcast and the heartbeat.
        services.AddHostedService<ClusteredStorageStartup>();
        services.AddHostedService(provider => provider.GetRequiredService<SoldOutChannel>());
        services.AddHostedService(provider => provider.GetRequiredService<InstanceHeartbeat>());
        return builder;
    }
}
