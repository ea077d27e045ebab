using System.Collections.Concurrent;

namespace Seckill.Web.Sales;

/// <summary>
/// The running and upcoming sales, pinned in memory so that the purchase path never reads
/// storage to learn about them. Kept by <see cref="SaleDirectory"/>.
/// </summary>
/// <remarks>Thread-safe; sales are immutable records, replaced whole.</remarks>
public sealed class SaleCatalog
{
    private readonly ConcurrentDictionary<long, Sale> _sales = new();

    public bool TryGet(long saleId, out Sale sale) => _sales.TryGetValue(saleId, out sale!);

    public void Put(Sale sale) => _sales[sale.Id] = sale;

    public void Remove(long saleId) => _sales.TryRemove(saleId, out _);

    public ICollection<Sale> All => _sales.Values;
}
