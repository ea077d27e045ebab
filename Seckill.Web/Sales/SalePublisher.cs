using Seckill.Web.Allocation;
using Seckill.Web.Stock;

namespace Seckill.Web.Sales;

/// <summary>
/// Publishes a sale: stored first, with its whole stock in its pool (the database is the truth),
/// then the warm-up share goes onto the shard, and only then is it visible to buyers: here at
/// once, and on the other instances when they hear the news (<see cref="SaleNews"/>).
/// </summary>
public sealed class SalePublisher(ISaleStore store, SaleDirectory directory, Allocator allocator, SaleNews news)
{
    public async Task<Sale> PublishAsync(NewSale newSale, CancellationToken cancellationToken)
    {
        var sale = await store.CreateAsync(newSale, cancellationToken);
        await allocator.WarmUpAsync(sale.Id, sale.Stock);
        directory.Know(sale);
        news.Changed(sale.Id);
        return sale;
    }
}
