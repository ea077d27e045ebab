using System.Collections.Concurrent;

namespace Seckill.Web.Sales;

/// <summary>A flash sale: <see cref="Stock"/> units of one SKU on sale from <see cref="StartsAt"/> until <see cref="EndsAt"/>.</summary>
public sealed record Sale(
    long Id, string Sku, string Name, long PriceCents, int Stock,
    DateTimeOffset StartsAt, DateTimeOffset EndsAt, int PerUserLimit, bool RequireToken = false)
{
    public bool HasStarted(DateTimeOffset now) => now >= StartsAt;

    public bool HasEnded(DateTimeOffset now) => now >= EndsAt;
}

/// <summary>A sale as an admin asks for it, already validated.</summary>
public sealed record NewSale(
    string Sku, string Name, long PriceCents, int Stock, DateTimeOffset StartsAt, DateTimeOffset EndsAt, int PerUserLimit, bool RequireToken = false);

public interface ISaleStore
{
    Task<Sale> CreateAsync(NewSale sale, CancellationToken cancellationToken);

    Task<Sale?> FindAsync(long saleId, CancellationToken cancellationToken);

    /// <summary>Every sale id, for the Bloom filter of known ids.</summary>
    Task<IReadOnlyList<long>> ListIdsAsync(CancellationToken cancellationToken);

    /// <summary>Sales that end after <paramref name="after"/>: the ones an instance must know in memory.</summary>
    Task<IReadOnlyList<Sale>> ListEndingAfterAsync(DateTimeOffset after, CancellationToken cancellationToken);
}

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
