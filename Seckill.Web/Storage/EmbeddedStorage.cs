using Microsoft.Extensions.Options;
using Seckill.Web.Cluster;
using Seckill.Web.Orders;
using Seckill.Web.Sales;
using Seckill.Web.Stock;
using Seckill.Web.Storage.InProcess;
using Seckill.Web.Storage.Sql;
using Seckill.Web.Storage.Sqlite;
using Seckill.Web.Jobs;

namespace Seckill.Web.Storage;

public static class EmbeddedStorage
{
    /// <summary>
    /// Embedded mode (no connection strings): orders, pool and the ledger of stock moves in a
    /// SQLite file, the shard in process.
    /// Everything above these interfaces is the same code in the clustered mode.
    /// </summary>
    public static WebApplicationBuilder AddEmbeddedStorage(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(provider => new SqliteDatabase(provider.GetRequiredService<IOptions<StorageOptions>>().Value.SqlitePath));
        services.AddSingleton<SqlDatabase>(provider => provider.GetRequiredService<SqliteDatabase>());
        services.AddSingleton<ISaleStore, SqlSaleStore>();
        services.AddSingleton<ISaleAdminStore, SqlSaleStore>();
        services.AddSingleton<IOrderStore, SqlOrderStore>();
        services.AddSingleton<IOrderListing, SqlOrderStore>();
        services.AddSingleton<Gate.IBlacklistStore, SqlBlacklistStore>();
        services.AddSingleton<IStockPool, SqlStockPool>();
        // A cluster of one: the instance registers with itself, and no one else hears its messages.
        services.AddSingleton<IInstanceRegistry, InProcessInstanceRegistry>();
        services.AddSingleton<IRemoteShards, InProcessRemoteShards>();
        services.AddSingleton<IClusterChannel, InProcessClusterChannel>();
        services.AddSingleton<IJobStorageSource, InMemoryJobStorage>();
        // One instance holds one shard, with the instance's id.
        services.AddSingleton<IStockShard>(provider => new InProcessStockShard(provider.GetRequiredService<IOptions<InstanceOptions>>().Value.InstanceId));
        // Before anything else: the schema (the shard is set from it later, by StartupRecovery).
        services.AddHostedService<StorageStartup>();
        return builder;
    }
}
