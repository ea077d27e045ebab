using System.Collections.Concurrent;
using Hangfire;
using Seckill.Web.Allocation;
using Seckill.Web.Cluster;
using Seckill.Web.Orders;
using Seckill.Web.Sales;
using Seckill.Web.Stock;

namespace Seckill.Web.Jobs;

/// <summary>
/// One sale on one shard, as the reconcile job saw it. <c>Drift</c> is what the shard holds
/// (<c>Actual</c> = available + reserved) less what the database says it should
/// (<c>Expected</c> = moved in by the ledger and landed, less moved out, less what its orders took).
/// </summary>
/// <param name="InFlight">Units of reservations the order writer has in hand: committed a moment
/// before the shard hears of it, they explain a drift up to this size.</param>
/// <param name="MissingMarks">Buyers with an active order taken here whom the shard does not mark (they could buy again).</param>
/// <param name="ExtraMarks">Marks the shard keeps for buyers who hold nothing (they are refused for nothing).</param>
/// <param name="StrandedUnits">Units of moves to this shard that stayed in transit since the previous run.</param>
/// <param name="SoldCounter">The database's sold counter of the sale, and <paramref name="SoldByOrders"/> the units its
/// active orders hold, read in one statement: they differ only if the database itself was changed.</param>
public sealed record SaleDrift(
    long SaleId, long Expected, long Actual, long Drift, long InFlight, int MissingMarks, int ExtraMarks, long StrandedUnits,
    long SoldCounter, long SoldByOrders)
{
    /// <summary>Whether what is off here is more than the moment's traffic explains.</summary>
    public bool Unexplained => Math.Abs(Drift) > Math.Max(1, InFlight) || MissingMarks > 0 || ExtraMarks > 0 || StrandedUnits > 0 || SoldOff;

    public bool SoldOff => SoldCounter != SoldByOrders;
}

/// <param name="Sales">The sales read in full this run.</param>
/// <param name="Unchanged">Running sales not read in full: exact at their last full read, and nothing of theirs changed since.</param>
/// <param name="Repair">Why the shard was set from the database, or null if it was not.</param>
/// <param name="After">With a repair: the same figures read again afterwards.</param>
public sealed record ReconcileResult(int ShardId, IReadOnlyList<SaleDrift> Sales, int Unchanged, string? Repair, IReadOnlyList<SaleDrift>? After);

/// <summary>
/// What the reconcile job reads of a sale in a few single-row reads to tell whether anything of it
/// changed: every order written or ended moves the sold counter and the shard's stock, every mark
/// taken or released the count of marks, every move the ledger's version.
/// </summary>
public readonly record struct SaleFingerprint(long SoldCounter, long LedgerVersion, ShardStock Stock, long Marks);

/// <summary>What the previous run of this instance's reconcile left to compare with.</summary>
public sealed class ReconcileMemory
{
    /// <summary>The last run's result on this instance (the dashboard's Sales page shows it).</summary>
    public ReconcileResult? Last { get; set; }

    public ConcurrentDictionary<long, bool> UnexplainedSales { get; } = new();

    public ConcurrentDictionary<long, bool> InTransit { get; } = new();

    /// <summary>When each running sale was last read in full here, buyers included (the oldest is read next).</summary>
    public ConcurrentDictionary<long, DateTimeOffset> ReadInFullAt { get; } = new();

    /// <summary>The sales found exact at their last read, with what they looked like then.</summary>
    public ConcurrentDictionary<long, SaleFingerprint> Exact { get; } = new();
}

/// <summary>
/// Reconciles this instance's shard with the database, the truth (ARCHITECTURE's conservation
/// law, term by term): per running or upcoming sale the units the shard holds, its buyers' marks, the moves to it
/// still in transit, and the database's sold counter against its orders (set from the orders at
/// once when they differ). Drift the moment's traffic explains is recorded; drift that persists across
/// two runs, or any drift over <see cref="RepairAbove"/> units, is repaired by setting the shard
/// from the database (<see cref="ShardRecovery"/>) and logged as a warning with the figures
/// before and after.
/// </summary>
/// <remarks>
/// An ended sale is left out: nothing is sold from its shards any more, and a cluster keeps every
/// sale it ever ran, so reading them all would make every run cost more than the one before.
/// One recurring job per shard, on the queue only its instance serves (<see cref="QueueOf"/>).
/// Reading changes nothing, so a run stopped anywhere leaves nothing half done; a repair is a
/// recovery, which is safe to repeat.
/// </remarks>
public sealed partial class ReconcileJob(
    IShardRouter shards, IStockPool pool, IOrderStore orders, OrderWriter writer, Allocator allocator, ShardRecovery recovery,
    SaleCatalog catalog, TimeProvider time, ReconcileMemory memory, ILogger<ReconcileJob> log)
{
    public const int RepairAbove = 10;

    public static string IdOf(int shardId) => $"reconcile-shard-{shardId}";

    public static string QueueOf(int shardId) => $"shard-{shardId}";

    [DisableConcurrentExecution(timeoutInSeconds: 60)]
    [AutomaticRetry(Attempts = 0)]
    public async Task<ReconcileResult> RunAsync(CancellationToken cancellationToken)
    {
        var shard = shards.Local;
        var (before, unchanged) = await ObserveAsync(shard, cancellationToken);
        string? repair = null;
        if (before.FirstOrDefault(sale => Math.Abs(sale.Drift) > Math.Max(RepairAbove, sale.InFlight)) is { } large)
        {
            repair = $"sale {large.SaleId} is off by {large.Drift} units";
        }
        else if (before.FirstOrDefault(sale => sale.StrandedUnits > 0) is { } stranded)
        {
            repair = $"sale {stranded.SaleId}: {stranded.StrandedUnits} units stayed in transit to the shard since the previous run";
        }
        else if (before.FirstOrDefault(sale => sale.Unexplained && memory.UnexplainedSales.ContainsKey(sale.SaleId)) is { } persisting)
        {
            repair = $"sale {persisting.SaleId} was off in two runs in a row";
        }

        // The database's own counter, set from its orders: no shard recovery needed for that.
        foreach (var sale in before.Where(sale => sale.SoldOff))
        {
            await orders.RepairSoldAsync(sale.SaleId, cancellationToken);
            repair ??= $"sale {sale.SaleId}: the sold counter said {sale.SoldCounter}, its active orders hold {sale.SoldByOrders}";
        }

        IReadOnlyList<SaleDrift>? after = null;
        if (repair is not null)
        {
            await recovery.RecoverAsync(cancellationToken);
            memory.UnexplainedSales.Clear();
            memory.InTransit.Clear();
            memory.Exact.Clear();
            (after, _) = await ObserveAsync(shard, cancellationToken);
            LogRepaired(shard.Id, repair, Describe(before), Describe(after));
        }
        else
        {
            memory.UnexplainedSales.Clear();
            foreach (var sale in before.Where(sale => sale.Unexplained))
            {
                memory.UnexplainedSales[sale.SaleId] = true;
            }
        }
        return memory.Last = new ReconcileResult(shard.Id, before, unchanged, repair, after);
    }

    /// <summary>
    /// Reads the shard and the database, sale by sale. The units are read with the order writer
    /// paused (between two batches), so that no order is committed in the database and not yet
    /// confirmed on the shard while they are read; reservations still go on, and move units from
    /// available to reserved only. A sale the allocator is moving stock for is skipped this run (a
    /// move is two steps, and the shard and the ledger could be read between them). The buyers'
    /// marks are compared with the orders after the pause (<see cref="CompareMarksAsync"/>). What
    /// stays in flight is the writer's queue, counted in <see cref="SaleDrift.InFlight"/>.
    /// </summary>
    /// <remarks>
    /// The pause is one sale's few reads long. It used to last the whole run, marks included: with
    /// 37 running sales of 10,000 buyers each that was 3.2 s every minute in which no order was
    /// written, and a sale selling then shed its buyers (BENCHMARKS.md section 33).
    ///
    /// Reading a sale in full costs as much as it has orders (the units its orders took, their
    /// count, its buyers). A sale found exact whose fingerprint (<see cref="SaleFingerprint"/>) has
    /// not changed since is not read again, except in its turn: each run reads in full one such
    /// sale, the one read longest ago, so that what a fingerprint cannot see (a change that undoes
    /// another, a row edited behind the service's back) is found within as many runs as there are
    /// running sales, and repaired at the run after. With 89 running sales of 10,000 orders, a run
    /// that read them all took 1.3 s (BENCHMARKS.md section 34).
    /// </remarks>
    private async Task<(IReadOnlyList<SaleDrift> Sales, int Unchanged)> ObserveAsync(IStockShard shard, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var running = catalog.All.Where(sale => !sale.HasEnded(now)).Select(sale => sale.Id).ToList();
        var seenInTransit = new HashSet<long>();
        var observed = new List<(SaleDrift Sale, SaleFingerprint Print, bool InTransit)>();
        var unchanged = 0;
        ForgetEnded(running);
        var turn = ReadInFullLongestAgo(running);
        var soldCounters = await orders.SoldCountersAsync(running, cancellationToken);
        foreach (var saleId in running)
        {
            var inFull = saleId == turn || memory.UnexplainedSales.ContainsKey(saleId);
            var print = new SaleFingerprint(soldCounters.GetValueOrDefault(saleId), await pool.LedgerVersionAsync(saleId),
                await shard.GetAsync(saleId), await shard.CountBuyersAsync(saleId));
            if (!inFull && memory.Exact.TryGetValue(saleId, out var exact) && exact == print)
            {
                unchanged++;
                continue;
            }
            memory.Exact.TryRemove(saleId, out _);
            var transitsBefore = seenInTransit.Count;
            if (await ObserveUnitsAsync(shard, saleId, seenInTransit, cancellationToken) is not { } sale)
            {
                continue;
            }
            var tally = await orders.TallyAsync(saleId, shard.Id, cancellationToken);
            var (missing, extra) = await CompareMarksAsync(shard, saleId, print.Marks, tally.BuyersOnShard, inFull, cancellationToken);
            // Ended while it was read: left out like the sales that had ended before the run.
            if (!catalog.TryGet(saleId, out var read) || read.HasEnded(time.GetUtcNow()))
            {
                continue;
            }
            observed.Add((sale with { MissingMarks = missing, ExtraMarks = extra, SoldCounter = tally.SoldCounter, SoldByOrders = tally.SoldByOrders },
                print, seenInTransit.Count > transitsBefore));
        }
        var pending = await PendingAsync(shard);
        var inFlight = pending.GroupBy(reservation => reservation.SaleId).ToDictionary(sale => sale.Key, sale => sale.Sum(reservation => (long)reservation.Quantity));
        memory.InTransit.Clear();
        foreach (var id in seenInTransit)
        {
            memory.InTransit[id] = true;
        }
        var sales = new List<SaleDrift>(observed.Count);
        foreach (var (read, print, inTransit) in observed)
        {
            var sale = read with { InFlight = inFlight.GetValueOrDefault(read.SaleId) };
            // Exact, nothing in flight and no move on its way here (whether it lands is seen only by reading): the fingerprint, read before, stands for it.
            if (sale is { Drift: 0, InFlight: 0, Unexplained: false } && !inTransit)
            {
                memory.Exact[sale.SaleId] = print;
            }
            sales.Add(sale);
        }
        return (sales, unchanged);
    }

    /// <summary>One sale's units on the shard against the ledger, with the writer paused; null if the sale is not looked at this run.</summary>
    private async Task<SaleDrift?> ObserveUnitsAsync(IStockShard shard, long saleId, HashSet<long> seenInTransit, CancellationToken cancellationToken)
    {
        using var paused = await writer.PauseAsync(cancellationToken);
        if ((await pool.HoldingsAsync(shard.Id, [saleId], cancellationToken)).FirstOrDefault() is not { } holding)
        {
            return null;
        }
        var movesBefore = allocator.MovesDone(saleId);
        var ledgerBefore = await pool.LedgerVersionAsync(saleId);
        if (allocator.IsMoving(saleId))
        {
            return null;
        }
        var stock = await shard.GetAsync(saleId);
        var expected = await ExpectedAsync(shard, holding);
        // Another instance may have moved stock in or out of this shard meanwhile (a steal, a
        // return): the ledger's version says so, and the sale is looked at next run.
        if (allocator.IsMoving(saleId) || allocator.MovesDone(saleId) != movesBefore || await pool.LedgerVersionAsync(saleId) != ledgerBefore)
        {
            return null;
        }
        var stranded = 0L;
        foreach (var transfer in (await pool.ListInTransitAsync(saleId)).Where(transfer => transfer.ToShard == shard.Id))
        {
            seenInTransit.Add(transfer.TransferId);
            if (memory.InTransit.ContainsKey(transfer.TransferId))
            {
                stranded += transfer.Units;
            }
        }
        var actual = stock.Available + stock.Reserved;
        return new SaleDrift(saleId, expected, actual, actual - expected, 0, 0, 0, stranded, 0, 0);
    }

    /// <summary>
    /// The running sale read in full longest ago here, or never: read in full this run, its buyers
    /// included, whatever its fingerprint and its counts say.
    /// </summary>
    private long? ReadInFullLongestAgo(List<long> running) =>
        running.OrderBy(id => memory.ReadInFullAt.GetValueOrDefault(id, DateTimeOffset.MinValue)).ThenBy(id => id)
            .Select(id => (long?)id).FirstOrDefault();

    /// <summary>What the memory keeps of sales that are no longer running: dropped, so it does not grow with every sale the cluster ran.</summary>
    private void ForgetEnded(List<long> running)
    {
        foreach (var gone in memory.ReadInFullAt.Keys.Except(running))
        {
            memory.ReadInFullAt.TryRemove(gone, out _);
        }
        foreach (var gone in memory.Exact.Keys.Except(running))
        {
            memory.Exact.TryRemove(gone, out _);
        }
    }

    /// <summary>
    /// The buyers the shard marks against those the database says hold an active order taken on
    /// it, while buyers buy and the writer writes: what looks off is read again before it counts.
    /// </summary>
    /// <remarks>
    /// The counts come first: a sale whose shard marks as many buyers (<paramref name="marked"/>, read
    /// with its fingerprint) as the database counts (<paramref name="buyersOnShard"/>) is not read
    /// further, unless <paramref name="listAnyway"/>.
    /// A lost mark or a mark left behind changes the count; only both at once in the same sale
    /// keep it, and that is found when the sale's turn to be read in full comes (one sale a run,
    /// the one read longest ago), then repaired at the run after, like any drift. Reading every
    /// sale's buyers every run cost 1.7–6.5 s a minute with 49 running sales of 10,000 buyers
    /// (BENCHMARKS.md sections 33–34).
    ///
    /// A mark is taken with the reservation, before its order is written, and released after the
    /// order ended, or when the database refused the order. So the orders are read first, then the
    /// marks: a buyer who looks unmarked is one whose order ended in between, and the orders read
    /// again say so. A mark that looks like nobody's is one whose order was refused meanwhile (the
    /// marks read again), is still unconfirmed on the shard or in the writer's hands (read next),
    /// or was written since (the orders, read again last).
    /// </remarks>
    private async Task<(int Missing, int Extra)> CompareMarksAsync(
        IStockShard shard, long saleId, long marked, long buyersOnShard, bool listAnyway, CancellationToken cancellationToken)
    {
        if (!listAnyway && marked == buyersOnShard)
        {
            return (0, 0);
        }
        memory.ReadInFullAt[saleId] = time.GetUtcNow();
        var buyers = await orders.ListBuyersAsync(saleId, shard.Id, cancellationToken);
        var marks = await shard.ListBuyersAsync(saleId);
        var missing = Missing(buyers, marks);
        var extra = Extra(buyers, marks);
        if (missing.Count == 0 && extra.Count == 0)
        {
            return (0, 0);
        }
        // In this order: a reservation marked then and not yet written when the orders are read
        // again is still unconfirmed on the shard, or in the writer's hands, when these are read.
        var marksAgain = await shard.ListBuyersAsync(saleId);
        var reserving = (await PendingAsync(shard)).Where(reservation => reservation.SaleId == saleId).Select(reservation => reservation.UserId).ToHashSet();
        var buyersAgain = await orders.ListBuyersAsync(saleId, shard.Id, cancellationToken);
        var stillMissing = Missing(buyersAgain, marks).ToHashSet();
        return (missing.Count(stillMissing.Contains),
            extra.Count(user => marksAgain.ContainsKey(user) && !buyersAgain.ContainsKey(user) && !reserving.Contains(user)));
    }

    private static List<long> Missing(IReadOnlyDictionary<long, long> buyers, IReadOnlyDictionary<long, long> marks) =>
        buyers.Where(buyer => !marks.TryGetValue(buyer.Key, out var order) || order != buyer.Value).Select(buyer => buyer.Key).ToList();

    private static List<long> Extra(IReadOnlyDictionary<long, long> buyers, IReadOnlyDictionary<long, long> marks) =>
        marks.Keys.Where(user => !buyers.ContainsKey(user)).ToList();

    /// <summary>Reservations not yet confirmed on the shard or still in the writer's hands.</summary>
    private async Task<List<Reservation>> PendingAsync(IStockShard shard) =>
        (await shard.ListUnconfirmedAsync()).Concat(writer.PendingOn(shard.Id)).DistinctBy(reservation => reservation.OrderId).ToList();

    /// <summary>
    /// What the ledger says the shard holds, less moves to it the shard has not received yet, less
    /// moves out of it the ledger still has as intents but the shard has already sent.
    /// </summary>
    private async Task<long> ExpectedAsync(IStockShard shard, ShardHolding holding)
    {
        var unlanded = 0L;
        foreach (var intent in (await pool.ListInTransitAsync(holding.SaleId)).Where(move => !move.Withdrawn && move.FromShard == shard.Id))
        {
            unlanded += await shard.SentAsync(holding.SaleId, intent.TransferId) ?? 0;
        }
        foreach (var move in holding.MovesIn)
        {
            if (!await shard.HasReceivedAsync(holding.SaleId, move.TransferId))
            {
                unlanded += move.Units;
            }
        }
        return holding.Units - unlanded;
    }

    private static string Describe(IReadOnlyList<SaleDrift> sales) =>
        string.Join("; ", sales.Select(sale =>
            $"sale {sale.SaleId}: expected {sale.Expected}, actual {sale.Actual}, drift {sale.Drift}, in flight {sale.InFlight}, " +
            $"missing marks {sale.MissingMarks}, extra marks {sale.ExtraMarks}, stranded {sale.StrandedUnits}, " +
            $"sold counter {sale.SoldCounter}, sold by orders {sale.SoldByOrders}"));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shard {ShardId} reconciled with the database: {Reason}. Before: {Before}. After: {After}")]
    private partial void LogRepaired(int shardId, string reason, string before, string after);
}
