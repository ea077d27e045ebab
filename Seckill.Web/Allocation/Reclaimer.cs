using Microsoft.Extensions.Options;
using Seckill.Web.Cluster;
using Seckill.Web.Stock;

namespace Seckill.Web.Allocation;

/// <summary>What one reclaim of a dead instance did.</summary>
/// <param name="ShardReachable">False: its Redis did not answer; its stock was re-derived from the ledger and its unwritten reservations are lost with it.</param>
public sealed record InstanceReclaim(int InstanceId, bool ShardReachable, int ReservationsWritten, long UnitsReturned, IReadOnlyList<long> EndgamesEnded);

/// <summary>
/// Takes a dead instance's shard away from it so that its stock is sold by the others
/// (ARCHITECTURE §3, "reclaim"); called by the <c>reclaim</c> job, under a lock its own restart
/// also takes (so a reclaim and a rejoin never overlap).
/// </summary>
/// <remarks>
/// <list type="number">
/// <item>its shard is fenced for good and its unconfirmed reservations listed, in one step in the
/// shard's Redis: an instance cut off from the pool but still reaching its shard (split brain)
/// has every reservation refused there from then on;</item>
/// <item>those reservations, and those it took on other shards (an end game's), are written to
/// the database (idempotent by order id), so no acknowledged 202 is lost and no unit stays reserved
/// for a writer that is gone;</item>
/// <item>moves out of or into the shard left as intents are settled by their source;</item>
/// <item>per sale, what the ledger says the shard holds goes back to the pool in one transaction;</item>
/// <item>end games held by the shard end, every instance hears that stock is back, and the
/// instance is marked reclaimed as of its last beat (a later beat means it came back).</item>
/// </list>
/// If the shard's Redis does not answer (gone with its host), steps 1–2 cannot happen: the stock is
/// re-derived from the ledger and the database, and reservations the dead shard held unwritten are
/// lost (README, durability). Every step is safe to repeat, and to be interrupted at any line.
/// </remarks>
public sealed partial class Reclaimer(
    IInstanceRegistry registry, IShardRouter shards, IStockPool pool, Allocator allocator, StockMover mover, IdGenerator ids, SoldOutBoard soldOut,
    ISoldOutBroadcast broadcast, IOptions<ClusterOptions> cluster, TimeProvider time, ILogger<Reclaimer> log)
{
    /// <summary>Reclaims every instance that is dead now; what each reclaim did.</summary>
    /// <param name="writeReservations">Writes reservations as orders (idempotent by order id); returns how many were committed.</param>
    public async Task<IReadOnlyList<InstanceReclaim>> ReclaimDeadAsync(Func<IReadOnlyList<Reservation>, Task<int>> writeReservations, CancellationToken cancellationToken)
    {
        var reclaimed = new List<InstanceReclaim>();
        foreach (var dead in await ListDeadAsync())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (await ReclaimIfDeadAsync(dead.InstanceId, writeReservations) is { } done)
            {
                reclaimed.Add(done);
            }
        }
        return reclaimed;
    }

    /// <summary>Instances silent for longer than <c>Cluster:DeadAfter</c> and not reclaimed since their last beat.</summary>
    public async Task<IReadOnlyList<InstanceBeat>> ListDeadAsync()
    {
        var deadline = time.GetUtcNow() - cluster.Value.DeadAfter;
        var reclaimed = await registry.ListReclaimedAsync();
        return (await registry.ListAllAsync())
            .Where(beat => beat.InstanceId != shards.Local.Id && beat.At < deadline &&
                           !(reclaimed.TryGetValue(beat.InstanceId, out var at) && at >= beat.At))
            .ToList();
    }

    /// <summary>Reclaims one instance if it is (still) dead; null if it is not, or another instance is at it.</summary>
    public async Task<InstanceReclaim?> ReclaimIfDeadAsync(int instanceId, Func<IReadOnlyList<Reservation>, Task<int>> writeReservations)
    {
        var owner = $"reclaim-by-{shards.Local.Id}-{Guid.NewGuid():N}";
        if (!await registry.TryLockAsync(ReclaimLock.Of(instanceId), owner, ReclaimLock.For))
        {
            return null;
        }
        try
        {
            // Looked at again under the lock: it may have come back, or been reclaimed meanwhile.
            if ((await ListDeadAsync()).FirstOrDefault(beat => beat.InstanceId == instanceId) is not { } dead)
            {
                return null;
            }
            var result = await ReclaimAsync(dead, writeReservations);
            LogReclaimed(result.InstanceId, dead.At, result.ShardReachable, result.ReservationsWritten, result.UnitsReturned);
            return result;
        }
        finally
        {
            await registry.UnlockAsync(ReclaimLock.Of(instanceId), owner);
        }
    }

    private async Task<InstanceReclaim> ReclaimAsync(InstanceBeat dead, Func<IReadOnlyList<Reservation>, Task<int>> writeReservations)
    {
        var id = dead.InstanceId;
        await shards.LearnAsync([dead]);
        IStockShard? shard = null;
        IReadOnlyList<Reservation> unconfirmed = [];
        try
        {
            shard = shards.Get(id);
            unconfirmed = await shard.ReclaimAsync();
        }
        catch (StockUnavailableException e)
        {
            shard = null;
            LogShardGone(e, id);
        }

        // What it reserved on other shards too (the end game's shard, where every instance
        // reserves): its writer died with them queued, and the buyers may hold a 202 for them.
        unconfirmed = [.. unconfirmed, .. await ReservedElsewhereAsync(id)];
        var written = 0;
        if (unconfirmed.Count > 0)
        {
            ids.AdvancePast(unconfirmed.Max(reservation => reservation.OrderId));
            written = await writeReservations(unconfirmed);
        }

        long returned = 0;
        foreach (var holding in await pool.HoldingsAsync(id, CancellationToken.None))
        {
            var saleId = holding.SaleId;
            foreach (var move in (await pool.ListInTransitAsync(saleId)).Where(move => move.FromShard == id || move.ToShard == id))
            {
                await FinishMoveAsync(id, move, shard);
            }
            var units = await pool.ReturnHoldingAsync(saleId, id, ids.Next());
            if (units > 0)
            {
                returned += units;
                soldOut.StockReturned(saleId);
                broadcast.StockBack(saleId);
            }
        }

        var endgames = await allocator.EndEndgamesOnAsync(id);
        await registry.MarkReclaimedAsync(id, dead.At);
        return new InstanceReclaim(id, shard is not null, written, returned, endgames);
    }

    /// <summary>
    /// Finishes a move out of or into the dead shard now, before its holding goes back to the pool.
    /// Its mover is often the dead instance itself (a top-up of its own shard, withdrawn from
    /// another shard and not yet landed): left to the periodic resume, its units would be on sale
    /// nowhere for <c>Allocation:ResumeMovesAfter</c> more while buyers are told sold out. Landing
    /// on the fenced shard is refused, so those units go to the pool; and a move the shard applied
    /// but the ledger had not recorded is recorded before the holding is read, so it goes back too.
    /// </summary>
    private async Task FinishMoveAsync(int id, Transfer move, IStockShard? deadShard)
    {
        // The move's other end may be a shard this instance never met: another dead instance's, or
        // one whose instance came back after this one last listed the live.
        if ((move.FromShard == id ? move.ToShard : move.FromShard) is { } otherEnd)
        {
            await shards.GetOrLearnAsync(registry, otherEnd);
        }
        if (!move.Withdrawn)
        {
            var source = move.FromShard == id ? deadShard : shards.TryGet(move.FromShard!.Value, out var other) ? other : null;
            // A source that cannot be asked sent nothing as far as the ledger knows.
            var sent = source is null ? 0 : await source.SettleWithdrawalAsync(move.SaleId, move.TransferId);
            await pool.MarkWithdrawnAsync(move.SaleId, move.TransferId, sent);
            if (sent == 0)
            {
                return;
            }
            move = move with { Units = sent, Withdrawn = true };
        }
        if (move.ToShard == id && deadShard is null)
        {
            // Whether a shard gone with its host applied it is unknown: left as it was.
            return;
        }
        try
        {
            await mover.ResumeAsync(move);
        }
        catch (StockUnavailableException e)
        {
            // Its destination does not answer: the periodic rebalance resumes it later.
            LogMoveLeft(e, move.SaleId, move.TransferId);
        }
    }

    /// <summary>
    /// The unconfirmed reservations instance <paramref name="id"/> took on the other shards (its
    /// order ids carry its instance id). A shard that does not answer now is left to its own
    /// instance's periodic replay (<c>Orders/ReservationReplay</c>, after <c>Orders:ReplayAfter</c>).
    /// </summary>
    private async Task<IReadOnlyList<Reservation>> ReservedElsewhereAsync(int id)
    {
        var found = new List<Reservation>();
        foreach (var other in shards.Known.Where(shard => shard.Id != id))
        {
            try
            {
                found.AddRange((await other.ListUnconfirmedAsync()).Where(reservation => IdGenerator.InstanceOf(reservation.OrderId) == id));
            }
            catch (StockUnavailableException e)
            {
                LogShardSkipped(e, id, other.Id);
            }
        }
        return found;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reclaiming instance {InstanceId}: shard {ShardId} did not answer; its reservations by that instance wait for its own replay")]
    private partial void LogShardSkipped(Exception e, int instanceId, int shardId);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Reclaimed instance {InstanceId} (last beat {LastBeat:o}): shard reachable {Reachable}, {Written} reservations written, {Units} units back in the pool")]
    private partial void LogReclaimed(int instanceId, DateTimeOffset lastBeat, bool reachable, int written, long units);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sale {SaleId}: transfer {TransferId} of a reclaimed shard could not land yet; the periodic rebalance resumes it")]
    private partial void LogMoveLeft(Exception e, long saleId, long transferId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Instance {InstanceId}'s shard did not answer: reclaiming it from the ledger alone")]
    private partial void LogShardGone(Exception e, int instanceId);
}
