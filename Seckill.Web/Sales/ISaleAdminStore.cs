namespace Seckill.Web.Sales;

/// <summary>Where a sale is in its window at a given instant (the listing's filter).</summary>
public enum SalePhase { Upcoming, Running, Ended }

/// <summary>A sale's window, stock and limit as an admin sets them before it starts, already validated.</summary>
public sealed record SaleChange(DateTimeOffset StartsAt, DateTimeOffset EndsAt, int Stock, int PerUserLimit);

public enum SaleChangeOutcome
{
    Changed,
    NotFound,
    /// <summary>The sale starts at or before the guard instant: too late to change.</summary>
    Started,
    /// <summary>Less stock asked for than the pool holds beyond the new total's reach (units still on a shard).</summary>
    StockNotInPool,
}

/// <summary>
/// The operators' changes to sales, in the orders database. Each is one transaction that keeps
/// the conservation law: a sale's total moves together with its pool.
/// </summary>
public interface ISaleAdminStore
{
    /// <summary>Sales newest first, those in <paramref name="phase"/> at <paramref name="now"/> (null: all), and how many match.</summary>
    Task<(IReadOnlyList<Sale> Sales, long Total)> ListAsync(SalePhase? phase, DateTimeOffset now, long offset, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Sets window, total and per-user limit of a sale that starts after <paramref name="startsAfter"/>;
    /// the difference in total is added to (or taken from) its pool in the same transaction.
    /// </summary>
    Task<(SaleChangeOutcome Outcome, Sale? Sale)> ChangeAsync(long saleId, SaleChange change, DateTimeOffset startsAfter, CancellationToken cancellationToken);

    /// <summary>Ends a sale that has not ended at <paramref name="now"/> (an upcoming one never starts); null if there is none such.</summary>
    Task<Sale?> EndAsync(long saleId, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Adds units to a sale that has not ended: its total and its pool, together; null if there is none such.</summary>
    Task<Sale?> AddStockAsync(long saleId, int units, DateTimeOffset now, CancellationToken cancellationToken);
}
