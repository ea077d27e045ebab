using System.Diagnostics;
using Microsoft.Extensions.Options;
using Seckill.Web.Gate;
using Seckill.Web.Orders;
using Seckill.Web.Stock;

namespace Seckill.Web.Purchasing;

/// <summary>
/// Hands a reservation to the <see cref="OrderWriter"/> and waits a moment (<c>Orders:ConfirmWaitMs</c>)
/// for its row: committed (201), refused, or still queued (202 with its place in the queue).
/// </summary>
public sealed class OrderConfirmation(
    OrderWriter writer, Restock restock, IOptions<OrderOptions> options, IOptions<OverloadOptions> overload, TimeProvider time)
    : IDisposable
{
    private readonly ConfirmWaits _waits = new(TimeSpan.FromMilliseconds(options.Value.ConfirmWaitMs), time);
    private readonly bool _shedWhenBehind = overload.Value.Enabled;
    private readonly long _maxOrderWait = Stopwatch.Frequency * overload.Value.MaxOrderWaitMs / 1000;

    /// <summary>
    /// The writer is further behind than <c>Overload:MaxOrderWaitMs</c> (its oldest unwritten order
    /// waited longer): a reservation taken now would be answered 202 and polled for, and every poll
    /// is another request on an instance already short of time to write; the buyer is better told
    /// to come back (503 overloaded). A writer whose database is away is not behind in this sense:
    /// buyers are then queued as always (<see cref="OrderWriter.OldestWaitedLongerThan"/>).
    /// </summary>
    /// <remarks>
    /// Found on the clustered flash sale (BENCHMARKS.md section 15): once commits fell behind, every
    /// winner got a 202 and polled, the polls took the CPU the commits needed, and the backlog grew
    /// until the sale sold out (p99 of seconds) without the thread pool's queue ever standing long
    /// enough for the queue-delay probe.
    /// </remarks>
    public bool WriterIsBehind => _shedWhenBehind && writer.OldestWaitedLongerThan(_maxOrderWait);

    public async ValueTask<PurchaseOutcome> ConfirmAsync(Reservation reservation)
    {
        if (!writer.TryEnqueue(reservation, out var pending))
        {
            // Shutting down: the units go back and the buyer may try another instance.
            await restock.ReservationFailedAsync(reservation);
            return PurchaseStatus.Unavailable;
        }
        if (!await _waits.WaitAsync(pending))
        {
            var (position, etaMs) = writer.PositionOf(pending);
            return new(PurchaseStatus.Queued, reservation.OrderId, position, etaMs);
        }
        var write = pending.Write;
        if (write.Committed)
        {
            return new(PurchaseStatus.Committed, reservation.OrderId);
        }
        if (write.ExistingOrderId != 0)
        {
            return new(PurchaseStatus.AlreadyPurchased, write.ExistingOrderId);
        }
        return new(write.RefusalCode == OrderWrite.SoldOut ? PurchaseStatus.RefusedSoldOut : PurchaseStatus.Refused, reservation.OrderId);
    }

    public void Dispose() => _waits.Dispose();
}
