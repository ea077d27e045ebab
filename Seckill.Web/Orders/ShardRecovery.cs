using Seckill.Web.Cluster;
using Seckill.Web.Stock;

namespace Seckill.Web.Orders;

/// <summary>
/// Sets this instance's shard right from the truth: at startup (in embedded mode nothing of the
/// shard survived the process; in clustered mode its Redis may have lost writes meanwhile), and
/// whenever the shard finds its store lost writes and fences itself (<see cref="IStockShard.Fenced"/>):
/// a Redis restarted from an AOF that missed its last second came back with counters from before
/// orders MySQL had already committed, and would have sold those units again.
/// </summary>
/// <remarks>
/// For every sale the shard holds units of, the truth is the database's: units moved in by the
/// ledger, less moved out, less what its orders took (<see cref="IStockPool.HoldingsAsync"/>). Of
/// that, what reservations hold is kept as reserved: every reservation the shard still lists or
/// this instance still has queued for the writer, and that the database has not written (a lost
/// reservation record is written back from the queue). The rest is available. Buyers' marks are
/// the active orders taken on this shard plus those reservations, for sales not ended yet: an
/// ended sale takes no purchase (<c>Purchasing/Admission</c> refuses it before the shard), so of
/// its buyers only those with a reservation outstanding get a mark back. Every start used to read
/// and hold the marks of every sale the shard ever sold (738,500 of 78 sales, 52 MB of the
/// instance's heap: BENCHMARKS.md section 35). The shard is fenced and the order writer paused
/// meanwhile, so no reservation is taken, nor half-way between the queue and the database, while
/// the truth is read. One recovery at a time; a fence raised during one is handled by the next.
/// </remarks>
public sealed partial class ShardRecovery
{
    private readonly IStockShard _shard;
    private readonly IStockPool _pool;
    private readonly IOrderStore _orders;
    private readonly OrderWriter _writer;
    private readonly SoldOutBoard _soldOut;
    private readonly TimeProvider _time;
    private readonly ILogger<ShardRecovery> _log;
    private readonly SemaphoreSlim _one = new(1, 1);
    private int _requested;

    public ShardRecovery(IShardRouter shards, IStockPool pool, IOrderStore orders, OrderWriter writer, SoldOutBoard soldOut,
        TimeProvider time, ILogger<ShardRecovery> log)
    {
        (_shard, _pool, _orders, _writer, _soldOut, _time, _log) = (shards.Local, pool, orders, writer, soldOut, time, log);
        _shard.Fenced += () => _ = RecoverWhenFencedAsync();
    }

    /// <summary>Recoveries completed since the process started.</summary>
    public int Completed { get; private set; }

    /// <summary>Recovers the shard now (startup), or waits for the recovery under way and runs one more.</summary>
    public async Task RecoverAsync(CancellationToken cancellationToken)
    {
        await _one.WaitAsync(cancellationToken);
        try
        {
            Volatile.Write(ref _requested, 0);
            await RunAsync(cancellationToken);
            Completed++;
        }
        finally
        {
            _one.Release();
        }
    }

    /// <summary>From the fence: many requests may see it at once; one recovery answers them all.</summary>
    private async Task RecoverWhenFencedAsync()
    {
        if (Interlocked.Exchange(ref _requested, 1) == 1)
        {
            return;
        }
        var backoff = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                LogFenced(_shard.Id);
                await RecoverAsync(CancellationToken.None);
                return;
            }
            catch (Exception e) when (e is StockUnavailableException or System.Data.Common.DbException)
            {
                // A store is still away: the shard stays fenced until one attempt gets through.
                LogRetrying(e, backoff.TotalMilliseconds);
                Volatile.Write(ref _requested, 1);
                await Task.Delay(backoff, _time);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        // No reservation while the truth is read and applied: one taken in between would be both
        // in the shard and missing from what is restored, and counted twice.
        await _shard.FenceAsync();
        using var paused = await _writer.PauseAsync(cancellationToken);
        await SettleWithdrawalsAsync(cancellationToken);
        var holdings = (await _pool.HoldingsAsync(_shard.Id, cancellationToken)).ToDictionary(holding => holding.SaleId);
        var recorded = await _shard.ListUnconfirmedAsync();
        var candidates = recorded.Concat(_writer.PendingOn(_shard.Id)).DistinctBy(reservation => reservation.OrderId).ToList();
        var written = await _orders.FindWrittenAsync(candidates.Select(reservation => reservation.OrderId).ToList(), cancellationToken);
        var outstanding = candidates.Where(reservation => !written.Contains(reservation.OrderId)).ToLookup(reservation => reservation.SaleId);

        // A sale the ledger never moved units here for has nothing on this shard to set right.
        var saleIds = holdings.Keys.Concat(outstanding.Select(sale => sale.Key)).Distinct().ToList();
        var ended = await _orders.EndedAmongAsync(saleIds, cancellationToken);
        foreach (var saleId in saleIds)
        {
            var holding = holdings.GetValueOrDefault(saleId) ?? new ShardHolding(saleId, 0, []);
            var reservations = outstanding[saleId].ToList();
            var buyers = ended.Contains(saleId) ? [] : new Dictionary<long, long>(await _orders.ListBuyersAsync(saleId, _shard.Id, cancellationToken));
            foreach (var reservation in reservations)
            {
                buyers[reservation.UserId] = reservation.OrderId;
            }
            await _shard.RestoreAsync(new ShardState(saleId, holding.Units, holding.MovesIn, reservations, buyers));
            foreach (var move in holding.MovesIn)
            {
                await _pool.CompleteTransferAsync(saleId, move.TransferId);
            }
            // Units may be back: a sold-out flag set on the wrong counters must not hide them.
            _soldOut.StockReturned(saleId);
            if (holding.Units < reservations.Sum(reservation => (long)reservation.Quantity))
            {
                LogOverdrawn(saleId, _shard.Id, holding.Units, reservations.Count);
            }
        }
        await _shard.LiftFenceAsync();
        LogRecovered(_shard.Id, holdings.Count, recorded.Count, candidates.Count - recorded.Count, candidates.Count - written.Count);
    }

    /// <summary>
    /// Moves out of this shard that the ledger still has as intents: the shard says what it sent
    /// (and, fenced, sends nothing more for them), so the ledger read next counts them right.
    /// </summary>
    private async Task SettleWithdrawalsAsync(CancellationToken cancellationToken)
    {
        foreach (var holding in await _pool.HoldingsAsync(_shard.Id, cancellationToken))
        {
            foreach (var intent in (await _pool.ListInTransitAsync(holding.SaleId)).Where(move => !move.Withdrawn && move.FromShard == _shard.Id))
            {
                await _pool.MarkWithdrawnAsync(intent.SaleId, intent.TransferId, await _shard.SettleWithdrawalAsync(intent.SaleId, intent.TransferId));
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shard {ShardId} lost writes and fenced itself; re-deriving its stock from the database")]
    private partial void LogFenced(int shardId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recovering the shard failed; retrying in {BackoffMs} ms")]
    private partial void LogRetrying(Exception e, double backoffMs);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Shard {ShardId} restored from the database: {Sales} sales held, {Recorded} reservations recorded in it, {Queued} more queued here, {Outstanding} not yet written")]
    private partial void LogRecovered(int shardId, int sales, int recorded, int queued, int outstanding);

    [LoggerMessage(Level = LogLevel.Error, Message = "Sale {SaleId}: shard {ShardId} holds {Units} units by the ledger, fewer than its {Reservations} outstanding reservations need")]
    private partial void LogOverdrawn(long saleId, int shardId, long units, int reservations);
}
