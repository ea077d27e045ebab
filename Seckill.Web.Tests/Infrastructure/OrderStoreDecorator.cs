using Seckill.Web.Orders;
using Seckill.Web.Stock;

namespace Seckill.Web.Tests.Infrastructure;

/// <summary>
/// A real order store with every call passed through: a test overrides the calls it counts or
/// holds (register it with <c>services.Replace</c>, around <c>ActivatorUtilities.CreateInstance&lt;SqlOrderStore&gt;</c>).
/// </summary>
public abstract class OrderStoreDecorator(IOrderStore inner) : IOrderStore
{
    public virtual Task<IReadOnlyList<OrderWrite>> WriteAsync(IReadOnlyList<Reservation> batch, TimeSpan paymentTimeout, CancellationToken cancellationToken) =>
        inner.WriteAsync(batch, paymentTimeout, cancellationToken);

    public virtual Task<Order?> FindAsync(long orderId, CancellationToken cancellationToken) => inner.FindAsync(orderId, cancellationToken);

    public virtual Task<IReadOnlyList<Order>> FindManyAsync(IReadOnlyCollection<long> orderIds, CancellationToken cancellationToken) =>
        inner.FindManyAsync(orderIds, cancellationToken);

    public virtual Task<IReadOnlyList<OrderChangeResult>> ChangeAsync(IReadOnlyList<OrderChange> changes, CancellationToken cancellationToken) =>
        inner.ChangeAsync(changes, cancellationToken);

    public virtual Task<IReadOnlyList<EndedOrder>> ExpireDueAsync(int limit, CancellationToken cancellationToken) => inner.ExpireDueAsync(limit, cancellationToken);

    public virtual Task<SaleOrderCounts> CountAsync(long saleId, CancellationToken cancellationToken) => inner.CountAsync(saleId, cancellationToken);

    public virtual Task<IReadOnlyDictionary<long, long>> SoldCountersAsync(IReadOnlyCollection<long> saleIds, CancellationToken cancellationToken) =>
        inner.SoldCountersAsync(saleIds, cancellationToken);

    public virtual Task<IReadOnlySet<long>> EndedAmongAsync(IReadOnlyCollection<long> saleIds, CancellationToken cancellationToken) =>
        inner.EndedAmongAsync(saleIds, cancellationToken);

    public virtual Task<SaleTally> TallyAsync(long saleId, int shardId, CancellationToken cancellationToken) =>
        inner.TallyAsync(saleId, shardId, cancellationToken);

    public virtual Task RepairSoldAsync(long saleId, CancellationToken cancellationToken) => inner.RepairSoldAsync(saleId, cancellationToken);

    public virtual Task<IReadOnlyDictionary<long, long>> ListBuyersAsync(long saleId, int shardId, CancellationToken cancellationToken) =>
        inner.ListBuyersAsync(saleId, shardId, cancellationToken);

    public virtual Task<IReadOnlySet<long>> FindWrittenAsync(IReadOnlyCollection<long> orderIds, CancellationToken cancellationToken) =>
        inner.FindWrittenAsync(orderIds, cancellationToken);

    public virtual Task<long> MaxOrderIdAsync(CancellationToken cancellationToken) => inner.MaxOrderIdAsync(cancellationToken);

    public virtual Task PingAsync(CancellationToken cancellationToken) => inner.PingAsync(cancellationToken);
}
