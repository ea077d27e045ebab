
namespace Seckill.Web.Stock;

public enum ReserveStatus : byte
{
    Reserved,
    /// <summary>The shard holds fewer units than asked for.</summary>
    Insufficient,
    /// <summary>The user already holds a reservation or order for this sale.</summary>
    AlreadyHolding,
    /// <summary>
    /// The shard's store lost writes (a Redis restarted from an AOF that missed its last second)
    /// and takes no reservation until <c>Orders/ShardRecovery</c> has re-derived its counters.
    /// </summary>
    Fenced,
}

/// <param name="ExistingOrderId">With <see cref="ReserveStatus.AlreadyHolding"/>: the order the user holds.</param>
/// <param name="Available">Units left on the shard after the call.</param>
public readonly record struct ReserveResult(ReserveStatus Status, long ExistingOrderId, long Available);

/// <summary>Stock of one sale on one shard.</summary>
/// <param name="Available">Units free to reserve.</param>
/// <param name="Reserved">Units held by reservations not yet confirmed as orders.</param>
public readonly record struct ShardStock(long Available, long Reserved);

/// <summary>
/// What one sale's stock on a shard must be, as <c>Orders/ShardRecovery</c> worked it out from the
/// database and the reservations that are still outstanding.
/// </summary>
/// <param name="Held">Units the shard holds for the sale by the ledger: moved in, less moved out,
/// less what its orders took (<see cref="ShardHolding"/>).</param>
/// <param name="MovesIn">Every transfer the ledger has into this shard: applied here from now on.</param>
/// <param name="Outstanding">Reservations of the sale on this shard that no order holds yet.</param>
/// <param name="Buyers">User → order: the active orders of the sale taken on this shard, and the outstanding reservations.</param>
public sealed record ShardState(
    long SaleId, long Held, IReadOnlyList<ShardMove> MovesIn, IReadOnlyList<Reservation> Outstanding, IReadOnlyDictionary<long, long> Buyers);

/// <summary>One transfer into a shard, as the ledger records it.</summary>
public readonly record struct ShardMove(long TransferId, long Units);

/// <summary>
/// One shard's share of the stock (in process when embedded, the instance's own Redis when
/// clustered). It also keeps each buyer's mark (one reservation or order per user per sale)
/// and the reservations not yet confirmed, so that they can be replayed after a crash.
/// </summary>
/// <remarks>
/// Its counters are a fast copy of what the database and the pool's ledger say it holds; when
/// the store loses writes it fences itself (<see cref="ReserveStatus.Fenced"/>, <see cref="Fenced"/>)
/// until <see cref="RestoreAsync"/> has set them again from the truth.
/// </remarks>
public interface IStockShard
{
    /// <summary>This shard's id: the instance id of the instance that owns it.</summary>
    int Id { get; }

    /// <summary>Raised when the shard finds its store has lost writes and has fenced itself.</summary>
    event Action? Fenced;

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

    /// <summary>Marks the user as holding <paramref name="orderId"/> (an order the database says they hold).</summary>
    ValueTask RestoreMarkAsync(long saleId, long userId, long orderId);

    /// <summary>
    /// The sale has ended: every buyer's mark of it here is dropped, in the store and in memory
    /// (an ended sale takes no purchase, so its marks only take room). Units and unconfirmed
    /// reservations are not touched.
    /// </summary>
    ValueTask ForgetBuyersAsync(long saleId);

    /// <summary>
    /// Receives units moved here. Applied at most once per <paramref name="transferId"/>. False:
    /// the shard was reclaimed (<see cref="ReclaimAsync"/>) and refuses the transfer for good, even
    /// after its instance rejoins; its units are to land in the pool instead.
    /// </summary>
    ValueTask<bool> AddAsync(long saleId, long units, long transferId);

    /// <summary>Whether the transfer <paramref name="transferId"/> has been applied here by <see cref="AddAsync"/> (not refused).</summary>
    ValueTask<bool> HasReceivedAsync(long saleId, long transferId);

    /// <summary>
    /// Sends up to <paramref name="maxUnits"/> available units away as transfer <paramref name="transferId"/>
    /// (a rebalance taking stock back, a reclaim): one atomic step that takes them and records the
    /// transfer, so a second call with the same id returns the first answer and takes nothing more.
    /// A fenced shard sends nothing (its counters are not to be trusted, or it was reclaimed) and
    /// records that it sent 0.
    /// </summary>
    /// <returns>The units sent.</returns>
    ValueTask<long> WithdrawAsync(long saleId, long maxUnits, long transferId);

    /// <summary>
    /// Settles transfer <paramref name="transferId"/> for whoever finds it half done: the units it
    /// sent, or, if <see cref="WithdrawAsync"/> never ran for it, 0 — and then it never will.
    /// </summary>
    ValueTask<long> SettleWithdrawalAsync(long saleId, long transferId);

    /// <summary>The units sent as <paramref name="transferId"/>, or null if nothing was recorded for it (read only).</summary>
    ValueTask<long?> SentAsync(long saleId, long transferId);

    /// <summary>
    /// The shard's instance was declared dead: fences the shard for good (no reservation, no
    /// withdrawal, and no recovery lifts it) and returns its unconfirmed reservations, in one step,
    /// so that nothing is reserved after the list is taken.
    /// </summary>
    ValueTask<IReadOnlyList<Reservation>> ReclaimAsync();

    /// <summary>Whether <see cref="ReclaimAsync"/> fenced this shard (its instance learns it at startup).</summary>
    ValueTask<bool> IsReclaimedAsync();

    /// <summary>
    /// The instance came back after a reclaim: the permanent fence becomes an ordinary one, lifted by
    /// the recovery that sets the shard from the ledger (which gave its stock away).
    /// </summary>
    ValueTask RejoinAsync();

    ValueTask<ShardStock> GetAsync(long saleId);

    /// <summary>Every buyer's mark of the sale here: user → the order (or reservation) they hold.</summary>
    ValueTask<IReadOnlyDictionary<long, long>> ListBuyersAsync(long saleId);

    /// <summary>How many buyers of the sale are marked here: a count, without reading the marks.</summary>
    ValueTask<long> CountBuyersAsync(long saleId);

    /// <summary>Reservations recorded but not yet confirmed or failed, oldest first.</summary>
    ValueTask<IReadOnlyList<Reservation>> ListUnconfirmedAsync();

    /// <summary>The reservation <paramref name="orderId"/> if it is recorded here and not yet confirmed or failed.</summary>
    ValueTask<Reservation?> FindUnconfirmedAsync(long orderId);

    /// <summary>Takes no reservation until <see cref="LiftFenceAsync"/> (while <c>Orders/ShardRecovery</c> works).</summary>
    ValueTask FenceAsync();

    /// <summary>
    /// Sets one sale's counters, marks and outstanding reservations to <paramref name="state"/>
    /// (only while fenced: a reservation taken meanwhile would be counted twice).
    /// Transfers received here that <see cref="ShardState.MovesIn"/> does not list (they landed
    /// after the ledger was read) keep counting on top of it.
    /// </summary>
    ValueTask RestoreAsync(ShardState state);

    /// <summary>Every sale is restored: reservations are taken again.</summary>
    ValueTask LiftFenceAsync();

    /// <summary>Throws <see cref="StockUnavailableException"/> if the shard does not answer.</summary>
    ValueTask PingAsync();
}
