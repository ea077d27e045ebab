using Seckill.Web.Orders;
using Seckill.Web.Sales;
using Seckill.Web.Stock;
using Seckill.Web.Storage.Sql;
using Seckill.Web.Storage.Sqlite;

namespace Seckill.Web.Storage;

public static class EmbeddedStorage
{
    /// <summary>
    /// Embedded mode (no connection strings): orders in a SQLite file, pool and shard in process.
    /// Everything above these interfaces is the same code in the clustered mode.
    /// </summary>
    public static WebApplicationBuilder AddEmbeddedStorage(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<SqliteDatabase>();
        services.AddSingleton<SqlDatabase>(provider => provider.GetRequiredService<SqliteDatabase>());
        services.AddSingleton<ISaleStore, SqlSaleStore>();
        services.AddSingleton<IOrderStore, SqlOrderStore>();
        services.AddSingleton<Gate.IBlacklistStore, SqlBlacklistStore>();
        services.AddSingleton<IStockPool, InProcessStockPool>();
        services.AddSingleton<IStockShard, InProcessStockShard>();
        services.AddSingleton<ISoldOutBroadcast, NoSoldOutBroadcast>();
        // Hosted services start in registration order: schema first, then stock from it.
        services.AddHostedService<StorageStartup>();
        services.AddHostedService<EmbeddedStockStartup>();
        return builder;
    }
}
