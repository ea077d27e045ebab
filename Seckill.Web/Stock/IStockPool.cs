namespace Seckill.Web.Stock;

/// <summary>
/// A move of units recorded in the ledger and not yet landed at its destination. The pool is
/// <c>null</c>: <paramref name="FromShard"/> null is a move out of the pool (a warm-up or refill),
/// <paramref name="ToShard"/> null a move back into it (a return or a reclaim); both set, from one
/// shard to another (a steal). Whoever resumes it after a crash knows where the units are and
/// where they go.
/// </summary>
/// <param name="Withdrawn">False while a move out of a shard is only an intent: the shard may not
/// have sent its units yet, and <paramref name="Units"/> is then the most it may send.</param>
/// <param name="CreatedAtMs">When the move was recorded (Unix ms): a move left half done for long is resumed by another.</param>
public readonly record struct Transfer(long TransferId, long SaleId, int? FromShard, int? ToShard, long Units, bool Withdrawn = true, long CreatedAtMs = 0);

/// <summary>A shard's landed moves of one sale, in units: received (from the pool or another shard) and given.</summary>
public sealed record ShardMoves(int ShardId, long UnitsIn, long UnitsOut)
{
    /// <summary>Per shard, the units of (from, to, units) landed moves it received and gave (null: the pool).</summary>
    public static IReadOnlyList<ShardMoves> Tally(IEnumerable<(int? From, int? To, long Units)> moves)
    {
        var byShard = new SortedDictionary<int, (long In, long Out)>();
        foreach (var (from, to, units) in moves)
        {
            if (to is { } receiver)
            {
                byShard[receiver] = (byShard.GetValueOrDefault(receiver).In + units, byShard.GetValueOrDefault(receiver).Out);
            }
            if (from is { } giver)
            {
                byShard[giver] = (byShard.GetValueOrDefault(giver).In, byShard.GetValueOrDefault(giver).Out + units);
            }
        }
        return byShard.Select(pair => new ShardMoves(pair.Key, pair.Value.In, pair.Value.Out)).ToList();
    }
}

/// <summary>
/// What the ledger says a shard holds of one sale: every unit moved to it, less every unit moved
/// away, less the units of its reservations that became orders (whatever became of the orders
/// since: a cancelled or expired order's units go back to the pool, not to the shard).
/// </summary>
public sealed record ShardHolding(long SaleId, long Units, IReadOnlyList<ShardMove> MovesIn);

/// <summary>
/// The global pool of each sale's stock and the ledger of every move between the pool and the
/// shards, kept in the orders database (SQLite or MySQL) beside the orders themselves.
/// </summary>
/// <remarks>
/// The pool is where the database is: a move out of the pool is one transaction that takes the
/// units and records the transfer, and a cancelled or expired order returns its units to the
/// pool in the same transaction that ends it. So the database alone always satisfies
/// <c>total = pool + Σ held by shards (incl. in transit) + sold</c>, and a shard whose store lost
/// writes can be set right from it (<c>Orders/ShardRecovery</c>).
/// </remarks>
public interface IStockPool
{
    /// <summary>
    /// Takes up to <paramref name="maxUnits"/> for shard <paramref name="toShard"/> and records
    /// them in the ledger as transfer <paramref name="transferId"/>, in transit until
    /// <see cref="CompleteTransferAsync"/>; returns how many were taken. Taking again with the same
    /// id returns the first answer and takes nothing more.
    /// </summary>
    ValueTask<long> TakeAsync(long saleId, long maxUnits, long transferId, int toShard);

    /// <summary>The shard has applied the transfer: it stops being in transit.</summary>
    ValueTask CompleteTransferAsync(long saleId, long transferId);

    /// <summary>
    /// Records the intent to move up to <paramref name="maxUnits"/> out of shard <paramref name="fromShard"/>
    /// (to <paramref name="toShard"/>, or the pool when null), before the shard sends anything:
    /// whoever finds the move half done asks the shard what it sent (<see cref="IStockShard.SettleWithdrawalAsync"/>).
    /// Recording again with the same id changes nothing.
    /// </summary>
    ValueTask RecordWithdrawalAsync(long saleId, long transferId, int fromShard, int? toShard, long maxUnits);

    /// <summary>
    /// The source shard sent <paramref name="units"/> for the transfer: from now on the move carries
    /// them (0 ends it). The shard's answer is the same to everyone who asks, so the first record stands.
    /// </summary>
    ValueTask MarkWithdrawnAsync(long saleId, long transferId, long units);

    /// <summary>
    /// A move lands in the pool: a move to the pool, or one its destination shard refused for good
    /// (reclaimed, <see cref="IStockShard.AddAsync"/>), which from then on names no shard. Its units
    /// are added to the pool and it stops being in transit, in one step, at most once.
    /// </summary>
    ValueTask LandInPoolAsync(long saleId, long transferId);

    /// <summary>
    /// Reclaim: everything the ledger says shard <paramref name="shardId"/> holds of the sale (moved
    /// in, less moved out, less what its orders took) goes back to the pool as transfer
    /// <paramref name="transferId"/>, and moves into the shard still in transit end there, in one
    /// transaction. Call it only once the shard is fenced and its reservations are written.
    /// </summary>
    /// <returns>The units returned to the pool.</returns>
    ValueTask<long> ReturnHoldingAsync(long saleId, int shardId, long transferId);

    /// <summary>How many moves the ledger has recorded and landed for the sale: changes whenever a move starts or ends.</summary>
    ValueTask<long> LedgerVersionAsync(long saleId);

    /// <summary>Every move of the sale the ledger records as not yet landed, whatever its direction.</summary>
    ValueTask<IReadOnlyList<Transfer>> ListInTransitAsync(long saleId);

    ValueTask<long> GetAsync(long saleId);

    /// <summary>Units of the sale each shard received and gave by landed moves (the pool is not listed).</summary>
    ValueTask<IReadOnlyList<ShardMoves>> MovesAsync(long saleId);

    /// <summary>What the ledger says shard <paramref name="shardId"/> holds, per sale it ever held units of.</summary>
    ValueTask<IReadOnlyList<ShardHolding>> HoldingsAsync(int shardId, CancellationToken cancellationToken);

    /// <summary>
    /// The same for the sales <paramref name="saleIds"/> only (those it held units of): for the
    /// reconcile job, which looks at the running sales every minute and must not read every order
    /// of every sale the cluster ever ran.
    /// </summary>
    ValueTask<IReadOnlyList<ShardHolding>> HoldingsAsync(int shardId, IReadOnlyCollection<long> saleIds, CancellationToken cancellationToken);
}
