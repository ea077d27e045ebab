namespace Seckill.Web.Stock;

/// <summary>
/// Stock as this instance sees it: its shard (registered by the storage, in process or in Redis),
/// the pool, and the sold-out board every refusal reads first.
/// </summary>
public static class StockSetup
{
    public static WebApplicationBuilder AddStock(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<SoldOutBoard>();
        return builder;
    }
}
