namespace Seckill.Web.Stock;

/// <summary>
/// Stock as this instance sees it: its shard (registered by the storage, in process or in Redis),
/// the pool, the sold-out board every refusal reads first, and the shard router.
/// </summary>
public static class StockSetup
{
    public static WebApplicationBuilder AddStock(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<SoldOutBoard>();
        builder.Services.AddSingleton<IShardRouter, ShardRouter>();
        return builder;
    }
}
