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

    ValueTask<ShardStock> GetAsync(long saleId);

    /// <summary>Reservations recorded but not yet confirmed or failed, oldest first.</summary>
    ValueTask<IReadOnlyList<Reservation>> ListUnconfirmedAsync();
}

/// <summary>
/// The global pool of a sale's stock not yet on any shard (in process when embedded, the
/// pool Redis when clustered).
/// </summary>
public interface IStockPool
{
    /// <summary>Sets the pool of a sale (publication or startup re-derivation).</summary>
    ValueTask SeedAsync(long saleId, long units);

    /// <summary>Takes up to <paramref name="maxUnits"/>; returns how many were taken.</summary>
    ValueTask<long> TakeAsync(long saleId, long maxUnits, long transferId);

    /// <summary>Returns units to the pool. Applied at most once per <paramref name="transferId"/>.</summary>
    ValueTask PutAsync(long saleId, long units, long transferId);

    ValueTask<long> GetAsync(long saleId);
}
