using System.Collections.Concurrent;

namespace Seckill.Web.Sales;

/// <summary>A flash sale: <see cref="Stock"/> units of one SKU on sale from <see cref="StartsAt"/> until <see cref="EndsAt"/>.</summary>
public sealed record Sale(
    long Id, string Sku, string Name, long PriceCents, int Stock,
    DateTimeOffset StartsAt, DateTimeOffset EndsAt, int PerUserLimit)
{
    public bool HasStarted(DateTimeOffset now) => now >= StartsAt;

    public bool HasEnded(DateTimeOffset now) => now >= EndsAt;
}

/// <summary>A sale as an admin asks for it, already validated.</summary>
public sealed record NewSale(string Sku, string Name, long PriceCents, int Stock, DateTimeOffset StartsAt, DateTimeOffset EndsAt, int PerUserLimit);

public interface ISaleStore
{
    Task<Sale> CreateAsync(NewSale sale, CancellationToken cancellationToken);

    Task<Sale?> FindAsync(long saleId, CancellationToken cancellationToken);

    /// <summary>Sales that end after <paramref name="after"/>: the ones an instance must know in memory.</summary>
    Task<IReadOnlyList<Sale>> ListEndingAfterAsync(DateTimeOffset after, CancellationToken cancellationToken);
}

/// <summary>
/// The sales this instance serves, held in memory so that the purchase path never reads
/// storage to learn about a sale. Filled at startup and on creation.
/// </summary>
/// <remarks>Thread-safe; sales are immutable records, replaced whole.</remarks>
public sealed class SaleCatalog
{
    private readonly ConcurrentDictionary<long, Sale> _sales = new();

    public bool TryGet(long saleId, out Sale sale) => _sales.TryGetValue(saleId, out sale!);

    public void Put(Sale sale) => _sales[sale.Id] = sale;

    public ICollection<Sale> All => _sales.Values;
}
