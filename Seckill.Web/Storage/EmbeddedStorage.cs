using Seckill.Web.Orders;
using Seckill.Web.Sales;
using Seckill.Web.Stock;
using Seckill.Web.Storage.Sql;
using Seckill.Web.Storage.Sqlite;

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
        services.AddSingleton<SqliteDatabase>();
        services.AddSingleton<SqlDatabase>(provider => provider.GetRequiredService<SqliteDatabase>());
        services.AddSingleton<ISaleStore, SqlSaleStore>();
        services.AddSingleton<IOrderStore, SqlOrderStore>();
        services.AddSingleton<Gate.IBlacklistStore, SqlBlacklistStore>();
        services.AddSingleton<IStockPool, SqlStockPool>();
        services.AddSingleton<IStockShard, InProcessStockShard>();
        services.AddSingleton<ISoldOutBroadcast, NoSoldOutBroadcast>();
        // Before anything else: the schema (the shard is set from it later, by StockStartup).
        services.AddHostedService<StorageStartup>();
        return builder;
    }
}
