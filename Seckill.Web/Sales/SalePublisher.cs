using Seckill.Web.Allocation;
using Seckill.Web.Stock;

namespace Seckill.Web.Sales;

/// <summary>
/// Publishes a sale: stored first (the database is the truth), then its stock goes into the
/// pool and the warm-up share onto the shard, and only then is it visible to buyers.
/// </summary>
public sealed class SalePublisher(ISaleStore store, SaleDirectory directory, IStockPool pool, Allocator allocator)
{
    public async Task<Sale> PublishAsync(NewSale newSale, CancellationToken cancellationToken)
    {
        var sale = await store.CreateAsync(newSale, cancellationToken);
        await pool.SeedAsync(sale.Id, sale.Stock);
        await allocator.WarmUpAsync(sale.Id, sale.Stock);
        directory.Know(sale);
        return sale;
    }
}
