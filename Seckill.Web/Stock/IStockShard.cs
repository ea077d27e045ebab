using Seckill.Web.Orders;

namespace Seckill.Web.Stock;

public enum ReserveStatus : byte
{
    Reserved,
    /// <summary>The shard holds fewer units than asked for.</summary>
    Insufficient,
    /// <summary>The user already holds a reservation or order for this sale.</summary>
    AlreadyHolding,
}

/// <param name="ExistingOrderId">With <see cref="ReserveStatus.AlreadyHolding"/>: the order the user holds.</param>
/// <param name="Available">Units left on the shard after the call.</param>
public readonly record struct ReserveResult(ReserveStatus Status, long ExistingOrderId, long Available);

/// <summary>Stock of one sale on one shard.</summary>
/// <param name="Available">Units free to reserve.</param>
/// <param name="Reserved">Units held by reservations not yet confirmed as orders.</param>
public readonly record struct ShardStock(long Available, long Reserved);

/// <summary>
/// This instance's share of the stock (in process when embedded, the shard Redis when
/// clustered). It also keeps each buyer's mark (one reservation or order per user per sale)
/// and the reservations not yet confirmed, so that they can be replayed after a crash.
/// </summary>
public interface IStockShard
{
    /// <summary>
    /// One atomic step: refuse a user who already holds the sale, refuse if fewer than
    /// <c>Quantity</c> units are available, otherwise decrement and record the reservation.
    /// </summary>
    ValueTask<ReserveResult> ReserveAsync(Reservation reservation);

    /// <summary>
    /// From memory only, no I/O: the order this user is known to hold for the sale here. Lets a
    /// repeat buyer be answered without a round trip; a miss proves nothing (the reservation decides).
    /// </summary>
    bool TryGetKnownOrder(long saleId, long userId, out long orderId);

    /// <summary>The database committed these orders: they stop counting as reserved (marks stay).</summary>
    ValueTask ConfirmAsync(IReadOnlyList<Reservation> reservations);

    /// <summary>
    /// The database refused this reservation: its mark is cleared and, unless
    /// <paramref name="returnUnits"/> is false, its units return to available.
    /// </summary>
    ValueTask FailAsync(Reservation reservation, bool returnUnits = true);

    /// <summary>The user's order ended (cancelled, expired): the user may buy again. Units are not touched.</summary>
    ValueTask ReleaseMarkAsync(long saleId, long userId, long orderId);

    /// <summary>Restores a mark for an active order found in the database (startup).</summary>
    ValueTask RestoreMarkAsync(long saleId, long userId, long orderId);

    /// <summary>Receives units from the pool. Applied at most once per <paramref name="transferId"/>.</summary>
    ValueTask AddAsync(long saleId, long units, long transferId);

    /// <summary>Gives back up to <paramref name="maxUnits"/> available units; returns how many were taken.</summary>
    ValueTask<long> TakeAsync(long saleId, long maxUnits, long transferId);

    /// <summary>Whether the transfer <paramref name="transferId"/> has been applied here by <see cref="AddAsync"/>.</summary>
    ValueTask<bool> HasReceivedAsync(long saleId, long transferId);

    ValueTask<ShardStock> GetAsync(long saleId);

    /// <summary>Reservations recorded but not yet confirmed or failed, oldest first.</summary>
    ValueTask<IReadOnlyList<Reservation>> ListUnconfirmedAsync();

    /// <summary>Throws <see cref="StockUnavailableException"/> if the shard does not answer.</summary>
    ValueTask PingAsync();
}

/// <summary>Units taken from the pool for the shard of <paramref name="InstanceId"/>, not yet completed.</summary>
public readonly record struct Transfer(long TransferId, long SaleId, int InstanceId, long Units);

/// <summary>
/// The global pool of a sale's stock not yet on any shard (in process when embedded, the
/// pool Redis when clustered).
/// </summary>
public interface IStockPool
{
    /// <summary>
    /// Sets the pool of a sale that has none yet: at publication, or at startup in a mode whose
    /// pool did not survive the process. A pool that exists is left as it is.
    /// </summary>
    ValueTask SeedAsync(long saleId, long units);

    /// <summary>
    /// Takes up to <paramref name="maxUnits"/> for the shard of <paramref name="toInstance"/> and
    /// records them as in transit under <paramref name="transferId"/> until
    /// <see cref="CompleteTransferAsync"/>; returns how many were taken. Taking again with the same
    /// id returns the first answer and takes nothing more.
    /// </summary>
    ValueTask<long> TakeAsync(long saleId, long maxUnits, long transferId, int toInstance);

    /// <summary>The shard has applied the transfer: it stops being in transit.</summary>
    ValueTask CompleteTransferAsync(long saleId, long transferId);

    /// <summary>Transfers of the sale taken from the pool and not yet completed.</summary>
    ValueTask<IReadOnlyList<Transfer>> ListInTransitAsync(long saleId);

    /// <summary>Returns units to the pool. Applied at most once per <paramref name="transferId"/>.</summary>
    ValueTask PutAsync(long saleId, long units, long transferId);

    ValueTask<long> GetAsync(long saleId);

    /// <summary>Throws <see cref="StockUnavailableException"/> if the pool does not answer.</summary>
    ValueTask PingAsync();
}
