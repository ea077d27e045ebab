using Seckill.Web.Orders;
using Seckill.Web.Storage.Sql;

namespace Seckill.Web.Storage;

public static class StorageSetup
{
    /// <summary>
    /// Chooses the mode from the settings alone (ARCHITECTURE §1): no connection strings, the
    /// embedded mode; any of them, the clustered mode.
    /// </summary>
    public static WebApplicationBuilder AddStorage(this WebApplicationBuilder builder)
    {
        _ = ClusteredStorageOptions.IsSelected(builder.Configuration) ? builder.AddClusteredStorage() : builder.AddEmbeddedStorage();
        // Where the order and payment writers' loops run depends on how the database locks (Orders/WriterThreads).
        builder.Services.AddSingleton(provider => WriterThreads.For(provider.GetRequiredService<SqlDatabase>().HasOneWriteLock));
        return builder;
    }
}
