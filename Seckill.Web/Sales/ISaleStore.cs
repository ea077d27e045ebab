namespace Seckill.Web.Sales;

/// <summary>Where sales are kept: the orders database (SQLite or MySQL).</summary>
public interface ISaleStore
{
    Task<Sale> CreateAsync(NewSale sale, CancellationToken cancellationToken);

    Task<Sale?> FindAsync(long saleId, CancellationToken cancellationToken);

    /// <summary>Every sale id, for the Bloom filter of known ids.</summary>
    Task<IReadOnlyList<long>> ListIdsAsync(CancellationToken cancellationToken);

    /// <summary>Sales that end after <paramref name="after"/>: the ones an instance must know in memory.</summary>
    Task<IReadOnlyList<Sale>> ListEndingAfterAsync(DateTimeOffset after, CancellationToken cancellationToken);
}
