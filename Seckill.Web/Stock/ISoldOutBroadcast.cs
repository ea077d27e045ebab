namespace Seckill.Web.Stock;

/// <summary>
/// Tells the other instances when a sale sells out here or stock comes back to the pool, so
/// each can update its own <see cref="SoldOutBoard"/> without asking (ARCHITECTURE §3, "sold out
/// is global"). Fire and forget: a lost message costs a buyer one extra look at the stores, never
/// a wrong answer, because every instance checks its own stock before believing "sold out".
/// </summary>
public interface ISoldOutBroadcast
{
    void SoldOut(long saleId);

    void StockBack(long saleId);
}
