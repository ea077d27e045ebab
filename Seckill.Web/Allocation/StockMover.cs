using Seckill.Web.Cluster;
using Seckill.Web.Stock;

namespace Seckill.Web.Allocation;

/// <summary>
/// Every move of stock, as one transfer recorded in the ledger (source, destination, units, id):
/// from the pool to a shard (warm-up, refill), from a shard to another (a steal for a hungry or
/// end-game shard) or back to the pool (a high watermark). Each step is idempotent and leaves a
/// record that says what the next one is, so a move interrupted at any line — on either side —
/// is finished by whoever finds it (<see cref="ResumeAsync"/>), and the conservation law
/// <c>total = pool + Σ shards + in transit + sold</c> holds at every instant.
/// </summary>
/// <remarks>
/// <para>Out of the pool: one transaction takes the units and records the move as in transit;
/// the shard applies the transfer id at most once; then the move is marked landed.</para>
/// <para>Out of a shard: the move is recorded first as an intent (no units have left yet); the
/// shard sends up to the asked units and records what it sent under the transfer id, in one
/// step; the ledger then records those units; then they land (a shard applies the id at most once;
/// the pool adds them in the transaction that marks the move landed). Whoever finds an intent asks
/// the shard to settle it: what it sent, or 0 — and then it never sends for that id.</para>
/// </remarks>
public sealed class StockMover(IStockPool pool, IShardRouter shards, IdGenerator ids, SoldOutBoard soldOut, ISoldOutBroadcast broadcast)
{
    /// <summary>Moves up to <paramref name="maxUnits"/> from the pool to shard <paramref name="toShard"/>; returns the units moved.</summary>
    public async ValueTask<long> FromPoolAsync(long saleId, int toShard, long maxUnits)
    {
        if (maxUnits <= 0)
        {
            return 0;
        }
        // Known before any unit leaves the pool (see FromShardAsync).
        shards.Get(toShard);
        var transferId = ids.Next();
        var taken = await pool.TakeAsync(saleId, maxUnits, transferId, toShard);
        if (taken > 0)
        {
            await LandAsync(new Transfer(transferId, saleId, null, toShard, taken));
        }
        return taken;
    }

    /// <summary>
    /// Moves up to <paramref name="maxUnits"/> of what shard <paramref name="fromShard"/> has
    /// available to shard <paramref name="toShard"/>, or to the pool when null; returns the units moved.
    /// </summary>
    public async ValueTask<long> FromShardAsync(long saleId, int fromShard, int? toShard, long maxUnits)
    {
        if (maxUnits <= 0 || fromShard == toShard)
        {
            return 0;
        }
        var source = shards.Get(fromShard);
        // The destination is looked up before any unit leaves: a shard this instance does not know
        // (yet) would leave the units withdrawn and in transit until someone else resumes the move,
        // and the buyers who find them nowhere meanwhile are told sold out.
        if (toShard is { } to)
        {
            shards.Get(to);
        }
        var transferId = ids.Next();
        await pool.RecordWithdrawalAsync(saleId, transferId, fromShard, toShard, maxUnits);
        var sent = await source.WithdrawAsync(saleId, maxUnits, transferId);
        await pool.MarkWithdrawnAsync(saleId, transferId, sent);
        if (sent > 0)
        {
            await LandAsync(new Transfer(transferId, saleId, fromShard, toShard, sent));
        }
        return sent;
    }

    /// <summary>
    /// Finishes a move found half done (its mover died or is slow: every step is safe to repeat);
    /// returns the units it landed (0: the source had sent nothing).
    /// </summary>
    public async ValueTask<long> ResumeAsync(Transfer transfer)
    {
        if (!transfer.Withdrawn)
        {
            var sent = await shards.Get(transfer.FromShard!.Value).SettleWithdrawalAsync(transfer.SaleId, transfer.TransferId);
            await pool.MarkWithdrawnAsync(transfer.SaleId, transfer.TransferId, sent);
            if (sent == 0)
            {
                return 0;
            }
            transfer = transfer with { Units = sent, Withdrawn = true };
        }
        await LandAsync(transfer);
        return transfer.Units;
    }

    /// <summary>
    /// Finishes every move of the sale still on its way, whoever started it; returns the units landed.
    /// For a buyer about to be told sold out: units that left the pool or a shard and have not
    /// arrived are not sold, and a mover slowed down (a busy machine, a slow store) must not make
    /// them look sold for as long as it takes.
    /// </summary>
    /// <exception cref="StockUnavailableException">A store of a move did not answer: the move stays on its way.</exception>
    public async ValueTask<long> LandInTransitAsync(long saleId)
    {
        long landed = 0;
        foreach (var transfer in await pool.ListInTransitAsync(saleId))
        {
            landed += await ResumeAsync(transfer);
        }
        return landed;
    }

    /// <summary>
    /// Units of the sale that have left their source and not reached their destination: the "in
    /// transit" term of the conservation law. A shard that cannot be asked counts its move as in transit.
    /// </summary>
    public async ValueTask<long> InTransitAsync(long saleId)
    {
        long units = 0;
        foreach (var transfer in await pool.ListInTransitAsync(saleId))
        {
            units += await InTransitAsync(transfer);
        }
        return units;
    }

    private async ValueTask<long> InTransitAsync(Transfer transfer)
    {
        try
        {
            if (!transfer.Withdrawn)
            {
                // An intent: the units are still on the source unless it has sent them.
                return await shards.Get(transfer.FromShard!.Value).SentAsync(transfer.SaleId, transfer.TransferId) ?? 0;
            }
            if (transfer.ToShard is { } to && await shards.Get(to).HasReceivedAsync(transfer.SaleId, transfer.TransferId))
            {
                return 0;
            }
            return transfer.Units;
        }
        catch (StockUnavailableException)
        {
            return transfer.Withdrawn ? transfer.Units : 0;
        }
    }

    private async ValueTask LandAsync(Transfer transfer)
    {
        if (transfer.ToShard is { } to && await shards.Get(to).AddAsync(transfer.SaleId, transfer.Units, transfer.TransferId))
        {
            await pool.CompleteTransferAsync(transfer.SaleId, transfer.TransferId);
        }
        else
        {
            // A move to the pool, or one a reclaimed shard refused: its stock went back to the
            // pool at the reclaim, so these units go there too (or were counted there already,
            // if the reclaim found the move in transit and ended it).
            await pool.LandInPoolAsync(transfer.SaleId, transfer.TransferId);
            transfer = transfer with { ToShard = null };
        }
        // A buyer who looked while these units were in transit may have flagged the sale sold
        // out, here or on the instance they landed at: they are back in circulation.
        soldOut.StockReturned(transfer.SaleId);
        if (transfer.FromShard is not null || transfer.ToShard != shards.Local.Id)
        {
            broadcast.StockBack(transfer.SaleId);
        }
    }
}
