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
    /// set; then all three are required): orders, pools and the ledger of stock moves in MySQL,
    /// this instance's shard in its own Redis, and the shared Redis for what the instances tell
    /// each other (heartbeats, the sold-out broadcast). Everything above these interfaces is the
    /// same code as in the embedded mode.
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

        services.AddSingleton<IStockPool, SqlStockPool>();

        services.AddSingleton<RedisConnections>();
        services.AddSingleton<IStockShard, RedisStockShard>();
        services.AddSingleton<SoldOutChannel>();
        services.AddSingleton<ISoldOutBroadcast>(provider => provider.GetRequiredService<SoldOutChannel>());
        services.AddSingleton<InstanceHeartbeat>();

        // Hosted services start in registration order: schema and connections, then the shard
        // set right from the database, then the broadcast and the heartbeat.
        services.AddHostedService<ClusteredStorageStartup>();
        services.AddHostedService(provider => provider.GetRequiredService<SoldOutChannel>());
        services.AddHostedService(provider => provider.GetRequiredService<InstanceHeartbeat>());

        services.AddHealthChecks().Add(new Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckRegistration("pool-redis",
            provider => new Ops.Health.StockHealthCheck(provider.GetRequiredService<RedisConnections>().PingPoolAsync, "The Redis the instances share"),
            null, [Ops.Health.ReadyTag]));
        return builder;
    }
}
