using Seckill.Web.Stock;

namespace Seckill.Web.Orders;

/// <summary>
/// Payment, cancellation and expiry: each order's change is judged in a database transaction
/// (so payment and expiry race atomically and exactly one wins), followed by returning the stock
/// of an order that ended to the pool. Payments and cancellations share their transactions in
/// batches (<see cref="PaymentWriter"/>).
/// </summary>
/// <remarks>
/// A buyer's reads wait for one of the <see cref="DatabaseSlots"/> (<see cref="OrderReads"/>); the
/// batches of payments and cancellations (one at a time) and expiry (its own job) do not.
/// </remarks>
public sealed class OrderLifecycle(IOrderStore store, PaymentWriter payments, Restock restock, OrderReads reads, IOrderEvents events)
{
    /// <summary>A stored order, read for a buyer (the pending table is the caller's to check first).</summary>
    public Task<Order?> FindAsync(long orderId, CancellationToken cancellationToken) => reads.FindAsync(orderId, cancellationToken);

    /// <summary>Pays the order if it is <paramref name="buyerId"/>'s (null: anyone's); <see cref="PaymentOutcome.NotFound"/> if it is not.</summary>
    public async Task<PaymentOutcome> PayAsync(long orderId, long? buyerId, CancellationToken cancellationToken)
    {
        var result = await payments.ChangeAsync(new OrderChange(orderId, OrderChangeKind.Pay, buyerId));
        if (result.Ended is { } order)
        {
            await restock.OrderEndedAsync(order);
            events.Expired(order.OrderId);
        }
        else if (result.Payment == PaymentOutcome.Paid)
        {
            events.Paid(orderId);
        }
        return result.Payment;
    }

    /// <summary>Cancels the order if it is <paramref name="buyerId"/>'s (null: anyone's); <see cref="CancelOutcome.NotFound"/> if it is not.</summary>
    public async Task<CancelOutcome> CancelAsync(long orderId, long? buyerId, CancellationToken cancellationToken)
    {
        var result = await payments.ChangeAsync(new OrderChange(orderId, OrderChangeKind.Cancel, buyerId));
        if (result.Ended is { } order)
        {
            await restock.OrderEndedAsync(order);
        }
        return result.Cancel;
    }

    /// <summary>Expires every order past its deadline, in chunks; returns how many expired.</summary>
    public async Task<int> ExpireDueAsync(CancellationToken cancellationToken)
    {
        const int Chunk = 500;
        var total = 0;
        while (true)
        {
            var expired = await store.ExpireDueAsync(Chunk, cancellationToken);
            await restock.OrdersEndedAsync(expired);
            foreach (var order in expired)
            {
                events.Expired(order.OrderId);
            }
            total += expired.Count;
            if (expired.Count < Chunk)
            {
                return total;
            }
        }
    }
}
