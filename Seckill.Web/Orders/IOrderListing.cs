namespace Seckill.Web.Orders;

/// <summary>Orders as the database holds them, a page at a time, newest first (admin and buyer listings).</summary>
public interface IOrderListing
{
    /// <summary>A sale's orders, of one status (null: all), and how many match.</summary>
    Task<(IReadOnlyList<Order> Orders, long Total)> ListBySaleAsync(long saleId, string? status, long offset, int limit, CancellationToken cancellationToken);

    /// <summary>A buyer's orders across sales, and how many there are.</summary>
    Task<(IReadOnlyList<Order> Orders, long Total)> ListByUserAsync(long userId, long offset, int limit, CancellationToken cancellationToken);
}
