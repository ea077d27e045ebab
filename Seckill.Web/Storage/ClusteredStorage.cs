using Microsoft.Extensions.Options;
using Seckill.Web.Cluster;
using Seckill.Web.Gate;
using Seckill.Web.Orders;
using Seckill.Web.Sales;
using Seckill.Web.Stock;
using Seckill.Web.Storage.MySql;
using Seckill.Web.Storage.Redis;
using Seckill.Web.Storage.Sql;
using Seckill.Web.Jobs;

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

        services.AddSingleton(provider => new MySqlDatabase(Options(provider).Mysql!));
        services.AddSingleton<SqlDatabase>(provider => provider.GetRequiredService<MySqlDatabase>());
        services.AddSingleton<ISaleStore, SqlSaleStore>();
        services.AddSingleton<ISaleAdminStore, SqlSaleStore>();
        services.AddSingleton<IOrderStore, SqlOrderStore>();
        services.AddSingleton<IOrderListing, SqlOrderStore>();
        services.AddSingleton<IBlacklistStore, SqlBlacklistStore>();
        services.AddSingleton<IStockPool, SqlStockPool>();

        // The shard this instance owns has the instance's id.
        services.AddSingleton(provider => new RedisSettings(Options(provider).Pool!, Options(provider).Shard!,
            provider.GetRequiredService<IOptions<InstanceOptions>>().Value.InstanceId));
        services.AddSingleton<RedisConnections>();
        services.AddSingleton<IStockShard, RedisStockShard>();
        services.AddSingleton<IRemoteShards, RedisRemoteShards>();
        // The shared Redis is where the instances find and tell each other (Cluster/ uses these).
        services.AddSingleton<IInstanceRegistry, RedisInstanceRegistry>();
        services.AddSingleton<IClusterChannel, RedisClusterChannel>();
        services.AddSingleton<IJobStorageSource, RedisJobStorage>();
        // The startup rehearsal sells on these servers too, in a database and namespace of its own.
        services.AddSingleton<Ops.IRehearsalPlace, ClusteredRehearsalPlace>();

        // Before anything else: schema and connections.
        services.AddHostedService<ClusteredStorageStartup>();
        services.AddHealthChecks().AddCheck<PoolHealthCheck>(PoolHealthCheck.Name);
        return builder;
    }

    private static ClusteredStorageOptions Options(IServiceProvider provider) =>
        provider.GetRequiredService<IOptions<ClusteredStorageOptions>>().Value;
}
