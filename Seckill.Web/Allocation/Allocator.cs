using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Seckill.Web.Cluster;
using Seckill.Web.Stock;

namespace Seckill.Web.Allocation;

/// <summary>
/// Moves stock to where the buyers are (ARCHITECTURE §3, "Allocation across instances"): the
/// warm-up split over the live shards, a buyer's refill when their shard runs short (from the pool,
/// else from the coldest shards, else the end game), and the low-watermark signal that has the
/// <see cref="Rebalancer"/> top a shard up before it is empty. Every move is a
/// <see cref="StockMover"/> transfer.
/// </summary>
/// <remarks>Thread-safe: per sale, refills of the local shard go one at a time (<see cref="SaleLane"/>).</remarks>
public sealed partial class Allocator(
    IStockPool pool, IShardRouter shards, StockMover mover, SellRates rates, InstanceHeartbeat heartbeat, IInstanceRegistry registry,
    IClusterChannel channel, SoldOutBoard soldOut, ISoldOutBroadcast broadcast, IOptions<AllocationOptions> options, ILogger<Allocator> log)
{
    private const string EndgamePrefix = "endgame:";
    private const string EndgameOverPrefix = "endgame_over:";

    private readonly AllocationOptions _options = options.Value;
    private readonly ConcurrentDictionary<long, SaleLane> _lanes = new();
    private readonly Channel<long> _low = Channel.CreateUnbounded<long>(new UnboundedChannelOptions { SingleReader = true });

    public AllocationOptions Options => _options;

    /// <summary>The sale's lane (made once per sale, then a lookup).</summary>
    public SaleLane For(long saleId) => _lanes.GetOrAdd(saleId, static (id, meters) => new SaleLane(id, meters.For(id)), rates);

    /// <summary>Sales whose local shard fell below its low watermark, for the <see cref="Rebalancer"/>.</summary>
    internal ChannelReader<long> LowSignals => _low.Reader;

    /// <summary>
    /// A reservation of <paramref name="units"/> left <paramref name="available"/> on the shard: count
    /// the sale, and if the shard is now below its low watermark, signal the rebalancer (once per episode; no I/O here).
    /// </summary>
    public void Reserved(SaleLane lane, int units, long available)
    {
        lane.Meter.Record(units);
        if (RebalancePlan.IsLow(available, lane.Meter.Rate, _options) && lane.TrySignalLow())
        {
            _low.Writer.TryWrite(lane.SaleId);
        }
    }

    /// <summary>
    /// A published sale: its stock is in the pool; <c>1 - ReserveRatio</c> of it goes to the live
    /// shards (evenly, or by traffic with <c>Allocation:Split</c>), the rest stays as the mobile reserve.
    /// </summary>
    public async ValueTask<long> WarmUpAsync(long saleId, long poolUnits)
    {
        var live = await LiveShardsAsync();
        var traffic = live.Select(beat => (beat.InstanceId, beat.Rates.Values.Sum())).ToList();
        long moved = 0;
        foreach (var (shardId, units) in RebalancePlan.WarmUp(poolUnits, traffic, _options))
        {
            try
            {
                moved += await mover.FromPoolAsync(saleId, shardId, units);
            }
            catch (StockUnavailableException e)
            {
                // That shard's share stays in the pool: it is refilled from there like any other.
                LogWarmUpSkipped(e, saleId, shardId);
            }
        }
        return moved;
    }

    /// <summary>
    /// A buyer found their shard short. Waits for any refill under way (unless the answer is known
    /// already, <see cref="AnswerWithoutRefill"/>); if one completed since the buyer read
    /// <paramref name="movesSeen"/> (<see cref="SaleLane.MovesDone"/>), only says so; otherwise moves
    /// at least <paramref name="needed"/> units to the buyer's shard: from the pool, else from the
    /// coldest shards' surplus, else by starting the end game (everything left gathered on one shard,
    /// where every instance then reserves).
    /// </summary>
    /// <param name="lookedAt">When (<see cref="Stopwatch.GetTimestamp"/>) the buyer found the shard short.</param>
    /// <returns>Whether the buyer's shard (see <see cref="SaleLane.ShardFor"/>) may now hold more than when the buyer looked.</returns>
    public async ValueTask<bool> RefillAsync(SaleLane lane, int needed, int saleStock, long movesSeen, long lookedAt)
    {
        if (AnswerWithoutRefill(lane, movesSeen, lookedAt) is { } answer)
        {
            return answer;
        }
        await lane.Gate.WaitAsync();
        try
        {
            return AnswerWithoutRefill(lane, movesSeen, lookedAt) ?? await RefillHeldAsync(lane, needed, saleStock);
        }
        finally
        {
            lane.Gate.Release();
        }
    }

    /// <summary>
    /// What a buyer who found the shard short can be told without a refill of their own: look again
    /// (a refill completed since they read <paramref name="movesSeen"/>), or nothing came (the sale
    /// is sold out, or a refill that began after they looked found nothing); null if neither.
    /// </summary>
    /// <remarks>
    /// Asked before the gate as well as under it: when the stock runs out, thousands of buyers a
    /// second find their shard short, and those whose answer is already known (sold out, or an empty
    /// refill began after they looked) no longer queue at the gate behind a refill that is looking
    /// for more, to be let through one at a time (BENCHMARKS.md section 28).
    /// </remarks>
    private bool? AnswerWithoutRefill(SaleLane lane, long movesSeen, long lookedAt)
    {
        if (Volatile.Read(ref lane.Completed) != movesSeen)
        {
            return true;
        }
        // Sold out and nothing returned since: no need to ask anyone again.
        if (soldOut.IsSoldOut(lane.SaleId))
        {
            return false;
        }
        // A refill that began after this buyer looked found nothing: its answer is this buyer's
        // too. Without this, the crowd waiting when the stock runs out would each redo the same
        // empty refill (database and Redis round trips) one after the other, for seconds.
        if (Volatile.Read(ref lane.EmptyRefillStartedAt) > lookedAt)
        {
            return false;
        }
        return null;
    }

    /// <summary>The refill itself, under the lane's gate.</summary>
    private async ValueTask<bool> RefillHeldAsync(SaleLane lane, int needed, int saleStock)
    {
        var startedAt = Stopwatch.GetTimestamp();
        // Read before anything is looked at: stock that comes back after this changes it (MarkSoldOutIfEmptyAsync).
        soldOut.IsSoldOut(lane.SaleId, out var observed);
        var target = lane.ShardFor(shards.Local.Id);
        var wanted = Math.Max(needed, Math.Max((long)Math.Ceiling(saleStock * _options.RefillRatio), RebalancePlan.Target(lane.Meter.Rate, _options)));
        var moved = await mover.FromPoolAsync(lane.SaleId, target, wanted);
        if (moved == 0 && _options.Rebalance)
        {
            moved = await FromOtherShardsAsync(lane, target, needed, wanted);
        }
        if (moved == 0)
        {
            // Nothing in the pool or to spare elsewhere: units still on their way (a top-up or
            // a rebalance whose mover has taken them and not yet landed them) are landed now, by
            // this buyer, rather than counted as sold (NoStrandedStockTests).
            moved = await mover.LandInTransitAsync(lane.SaleId);
        }
        // Units came, or the buyer's shard is now the end game's: either way, look again.
        if (moved > 0 || lane.ShardFor(shards.Local.Id) != target)
        {
            Interlocked.Increment(ref lane.Completed);
            return true;
        }
        Volatile.Write(ref lane.EmptyRefillStartedAt, startedAt);
        lane.EmptyRefills++;
        await MarkSoldOutIfEmptyAsync(lane.SaleId, target, observed);
        return false;
    }

    /// <summary>
    /// A refill found nothing anywhere (pool, other shards, transfers): if the buyers' shard is
    /// empty too, the sale is sold out for this instance's buyers from now on, unless stock came
    /// back since <paramref name="observed"/> was read (every return bumps it after its units are
    /// in place, so a unit these reads missed keeps the flag off).
    /// </summary>
    /// <remarks>
    /// Without this, the sale was marked only once a buyer had looked at the shard a second time
    /// and a second empty refill had begun after that look: while thousands of buyers a second
    /// found the shard empty, each waiting for those round trips (BENCHMARKS.md section 28).
    /// </remarks>
    private async ValueTask MarkSoldOutIfEmptyAsync(long saleId, int shardId, long observed)
    {
        try
        {
            if ((await shards.Get(shardId).GetAsync(saleId)).Available == 0 && soldOut.TryMarkSoldOut(saleId, observed))
            {
                broadcast.SoldOut(saleId);
            }
        }
        catch (StockUnavailableException)
        {
            // The shard did not answer: the buyers' own second look decides, as before.
        }
    }

    /// <summary>The pool is empty: the coldest shards' surplus, or else the end game.</summary>
    private async ValueTask<long> FromOtherShardsAsync(SaleLane lane, int target, int needed, long wanted)
    {
        var views = await ViewAsync(lane.SaleId);
        var available = views.ToDictionary(view => view.ShardId, view => view.Available);
        available.TryAdd(target, 0);
        long moved = 0;
        if (lane.EndgameShard == SaleLane.NoEndgame && !RebalancePlan.IsEndgame(0, views, _options))
        {
            foreach (var donor in RebalancePlan.Coldest(views, available, target))
            {
                var spare = available[donor.ShardId] - RebalancePlan.Target(donor.Rate, _options);
                if (spare > 0 && moved < wanted)
                {
                    moved += await TryMoveAsync(lane.SaleId, donor.ShardId, target, Math.Min(spare, wanted - moved));
                }
            }
            if (moved >= needed)
            {
                return moved;
            }
        }
        // Too little left where it is not needed: gather everything on one shard — if there is
        // anything left elsewhere to gather, and somewhere else to gather it from.
        if (views.Count(view => view.ShardId != target && available[view.ShardId] > 0) == 0)
        {
            return moved;
        }
        var endgame = await EnterEndgameAsync(lane, views);
        return endgame == SaleLane.NoEndgame ? moved : moved + await GatherAsync(lane.SaleId, endgame, views);
    }

    /// <summary>
    /// Claims the sale's end game for the shard the plan picks (or learns the one already claimed),
    /// tells every instance, and reserves there from now on; <see cref="SaleLane.NoEndgame"/> if
    /// every claim found was on a reclaimed shard.
    /// </summary>
    public async ValueTask<int> EnterEndgameAsync(SaleLane lane, IReadOnlyList<ShardView> views)
    {
        var preferred = views.Count > 0 ? RebalancePlan.EndgameShard(views) : shards.Local.Id;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var holder = await registry.ClaimEndgameAsync(lane.SaleId, preferred);
            // Looked at after the claim: a reclaim fences the shard before it ends its end games,
            // so a claim made on it after that (by someone who saw it live just before) is seen here.
            if (await VoidIfReclaimedAsync(holder))
            {
                continue;
            }
            if (lane.EndgameShard != holder)
            {
                lane.EndgameShard = holder;
                channel.Publish(string.Create(CultureInfo.InvariantCulture, $"{EndgamePrefix}{lane.SaleId}:{holder}"));
                LogEndgame(lane.SaleId, holder);
            }
            return holder;
        }
        return SaleLane.NoEndgame;
    }

    /// <summary>
    /// Whether the sale's end game, as this instance knows it, is on a reclaimed shard (its claim was
    /// made just after the reclaim ended the shard's end games, or its end was not heard): if so it
    /// is ended, here and everywhere, so that no one gathers stock there or reserves there again.
    /// </summary>
    public async ValueTask<bool> EndIfReclaimedAsync(SaleLane lane) =>
        lane.EndgameShard is var endgame and not SaleLane.NoEndgame && await VoidIfReclaimedAsync(endgame);

    private async ValueTask<bool> VoidIfReclaimedAsync(int endgameShard)
    {
        try
        {
            if (await shards.GetOrLearnAsync(registry, endgameShard) is not { } shard || !await shard.IsReclaimedAsync())
            {
                return false;
            }
        }
        catch (StockUnavailableException)
        {
            // Not reachable now: if its instance is dead, its reclaim ends the end game.
            return false;
        }
        await EndEndgamesOnAsync(endgameShard);
        return true;
    }

    /// <summary>
    /// Shard <paramref name="shardId"/> was reclaimed: every end game held there ends — those the
    /// registry records, and any this instance still reserves on — and every instance goes back to
    /// its own shard (and the pool). Returns the sales the registry had there.
    /// </summary>
    public async ValueTask<IReadOnlyList<long>> EndEndgamesOnAsync(int shardId)
    {
        var recorded = await registry.EndEndgamesOnAsync(shardId);
        foreach (var saleId in recorded.Union(_lanes.Values.Where(lane => lane.EndgameShard == shardId).Select(lane => lane.SaleId)))
        {
            For(saleId).EndgameShard = SaleLane.NoEndgame;
            channel.Publish(ClusterMessage.Format(EndgameOverPrefix, saleId));
        }
        return recorded;
    }

    /// <summary>Moves everything the other shards have of the sale to the end-game shard.</summary>
    public async ValueTask<long> GatherAsync(long saleId, int endgame, IReadOnlyList<ShardView> views)
    {
        long moved = 0;
        foreach (var view in views.Where(view => view.ShardId != endgame && view.Available > 0))
        {
            moved += await TryMoveAsync(saleId, view.ShardId, endgame, view.Available);
        }
        moved += await mover.FromPoolAsync(saleId, endgame, await pool.GetAsync(saleId));
        return moved;
    }

    private async ValueTask<long> TryMoveAsync(long saleId, int from, int? to, long units)
    {
        try
        {
            return await mover.FromShardAsync(saleId, from, to, units);
        }
        catch (StockUnavailableException e)
        {
            // That shard is away: its move stays recorded and is finished by the periodic rebalance.
            LogMoveFailed(e, saleId, from);
            return 0;
        }
    }

    /// <summary>
    /// The sale as the allocator sees it: each live instance's shard (that this instance can reach)
    /// with its available units and its sell rate, this instance's own rate read fresh.
    /// </summary>
    public async ValueTask<IReadOnlyList<ShardView>> ViewAsync(long saleId)
    {
        var views = new List<ShardView>();
        foreach (var beat in await LiveShardsAsync())
        {
            if (!shards.TryGet(beat.InstanceId, out var shard))
            {
                continue;
            }
            try
            {
                // A reclaimed shard (its instance died, and is maybe starting again) takes and gives nothing.
                if (await shard.IsReclaimedAsync())
                {
                    continue;
                }
                var rate = shard.Id == shards.Local.Id ? rates.RateOf(saleId) : beat.RateOf(saleId);
                views.Add(new ShardView(shard.Id, (await shard.GetAsync(saleId)).Available, rate));
            }
            catch (StockUnavailableException)
            {
                // Not reachable now: left out of this decision.
            }
        }
        return views;
    }

    /// <summary>The live instances, this one always among them (its first beat may not be listed yet).</summary>
    public async ValueTask<IReadOnlyList<InstanceBeat>> LiveShardsAsync()
    {
        var live = (await heartbeat.ListLiveAsync()).ToList();
        if (live.All(beat => beat.InstanceId != shards.Local.Id))
        {
            live.Add(new InstanceBeat(shards.Local.Id, registry.ShardEndpoint, DateTimeOffset.MinValue, new Dictionary<long, double>()));
        }
        return live.OrderBy(beat => beat.InstanceId).ToList();
    }

    /// <summary>
    /// Every shard this instance knows, with the sale's stock on it and whether its instance is live.
    /// A reclaimed shard's counters are what it held when it was fenced: its stock went back to the
    /// pool through the ledger, so it is listed but counts nowhere (<see cref="ShardReport.Counts"/>).
    /// </summary>
    public async ValueTask<IReadOnlyList<ShardReport>> ReportAsync(long saleId)
    {
        var live = (await LiveShardsAsync()).Select(beat => beat.InstanceId).ToHashSet();
        var reports = new List<ShardReport>();
        foreach (var shard in shards.Known)
        {
            try
            {
                var stock = await shard.GetAsync(saleId);
                reports.Add(new ShardReport(shard.Id, stock.Available, stock.Reserved, live.Contains(shard.Id), true, await shard.IsReclaimedAsync()));
            }
            catch (StockUnavailableException)
            {
                reports.Add(new ShardReport(shard.Id, 0, 0, live.Contains(shard.Id), false, false));
            }
        }
        return reports;
    }

    /// <summary>Units taken from a source that no destination holds yet (see <see cref="StockMover.InTransitAsync"/>).</summary>
    public ValueTask<long> InTransitAsync(long saleId) => mover.InTransitAsync(saleId);

    /// <summary>How many refills of the local shard completed for the sale (for the reconcile job).</summary>
    public long MovesDone(long saleId) => _lanes.TryGetValue(saleId, out var lane) ? lane.MovesDone : 0;

    /// <summary>
    /// Whether units of the sale may be about to land on this instance's shard: a buyer who finds pool and
    /// shard empty while this is true must look again rather than be told "sold out".
    /// </summary>
    public bool IsMoving(long saleId) => _lanes.TryGetValue(saleId, out var lane) && lane.Gate.CurrentCount == 0;

    /// <summary>An end game began or ended elsewhere (the cluster channel).</summary>
    public Task OnMessageAsync(string message)
    {
        if (message.StartsWith(EndgamePrefix, StringComparison.Ordinal))
        {
            var rest = message.AsSpan(EndgamePrefix.Length);
            var colon = rest.IndexOf(':');
            if (colon > 0 && long.TryParse(rest[..colon], CultureInfo.InvariantCulture, out var saleId) &&
                int.TryParse(rest[(colon + 1)..], CultureInfo.InvariantCulture, out var shardId))
            {
                var lane = For(saleId);
                if (lane.EndgameShard != shardId)
                {
                    // Buyers here reserve there from now on: a sold-out flag set on this shard's counters no longer holds.
                    lane.EndgameShard = shardId;
                    soldOut.StockReturned(saleId);
                }
            }
        }
        else if (ClusterMessage.TryParse(message, EndgameOverPrefix, out var over))
        {
            var lane = For(over);
            if (lane.EndgameShard != SaleLane.NoEndgame)
            {
                lane.EndgameShard = SaleLane.NoEndgame;
                soldOut.StockReturned(over);
            }
        }
        return Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sale {SaleId}: warm-up share of shard {ShardId} left in the pool (shard unreachable)")]
    private partial void LogWarmUpSkipped(Exception e, long saleId, int shardId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sale {SaleId}: moving stock out of shard {ShardId} failed; the periodic rebalance finishes the move")]
    private partial void LogMoveFailed(Exception e, long saleId, int shardId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sale {SaleId}: end game, the last units gather on shard {ShardId}")]
    private partial void LogEndgame(long saleId, int shardId);
}

/// <summary>One shard's part of a sale, for the stock report.</summary>
/// <param name="Reachable">False: the shard did not answer (its stock is not known now).</param>
/// <param name="Reclaimed">Its instance was declared dead and its stock given back to the pool.</param>
public sealed record ShardReport(int ShardId, long Available, long Reserved, bool Live, bool Reachable, bool Reclaimed)
{
    /// <summary>Whether its figures are part of the sale's stock (a reclaimed shard's are not).</summary>
    public bool Counts => Reachable && !Reclaimed;
}
