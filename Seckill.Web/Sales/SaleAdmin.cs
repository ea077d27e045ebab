using Seckill.Web.Allocation;
using Seckill.Web.Stock;

namespace Seckill.Web.Sales;

/// <summary>
/// The operators' changes to sales (README, "Managing sales"): each is stored first (the database
/// is the truth), then made known here at once and on the other instances by the sale's news
/// (<see cref="SaleNews"/>; the periodic refresh catches a lost message).
/// </summary>
public sealed class SaleAdmin(
    ISaleAdminStore store, SaleDirectory directory, SaleNews news, Allocator allocator, StockMover mover, IStockPool pool,
    SoldOutBoard soldOut, ISoldOutBroadcast broadcast, TimeProvider time)
{
    /// <summary>
    /// A sale cannot be changed this close to its start: the change reaches the other instances one
    /// message later, and none of them may start selling on the old window meanwhile.
    /// </summary>
    public static readonly TimeSpan ChangeCutoff = TimeSpan.FromSeconds(5);

    public Task<(IReadOnlyList<Sale> Sales, long Total)> ListAsync(SalePhase? phase, long offset, int limit, CancellationToken cancellationToken) =>
        store.ListAsync(phase, time.GetUtcNow(), offset, limit, cancellationToken);

    /// <summary>
    /// Changes a sale before it starts. A new total moves every unit back from the shards to the
    /// pool first (nobody can buy yet, so none is reserved), changes the total and the pool together,
    /// then warms the shards up again from the pool.
    /// </summary>
    public async Task<(SaleChangeOutcome Outcome, Sale? Sale)> ChangeAsync(Sale current, SaleChange change, CancellationToken cancellationToken)
    {
        var startsAfter = time.GetUtcNow() + ChangeCutoff;
        if (current.StartsAt <= startsAfter)
        {
            return (SaleChangeOutcome.Started, null);
        }
        var restock = change.Stock != current.Stock;
        if (restock)
        {
            await GatherInPoolAsync(current.Id);
        }
        var (outcome, changed) = await store.ChangeAsync(current.Id, change, startsAfter, cancellationToken);
        if (restock)
        {
            // Whatever the outcome: the shards were emptied into the pool and get their share back.
            await allocator.WarmUpAsync(current.Id, await pool.GetAsync(current.Id));
        }
        if (changed is not null)
        {
            changed = await PublishAsync(changed);
        }
        return (outcome, changed);
    }

    /// <summary>
    /// Ends a sale now: from this instant every instance refuses its buyers (<c>ended</c>), here at
    /// once and elsewhere when the news arrives. Purchases already past admission settle as usual;
    /// the units left stay counted where they are (pool, shards), so the conservation law holds.
    /// </summary>
    public async Task<Sale?> EndAsync(long saleId, CancellationToken cancellationToken)
    {
        var ended = await store.EndAsync(saleId, time.GetUtcNow(), cancellationToken);
        return ended is null ? null : await PublishAsync(ended);
    }

    /// <summary>
    /// Adds units to a sale that has not ended: into its pool, from where refills carry them to the
    /// shards like any other unit; every instance that had flagged the sale sold out looks again.
    /// </summary>
    public async Task<Sale?> AddStockAsync(long saleId, int units, CancellationToken cancellationToken)
    {
        var sale = await store.AddStockAsync(saleId, units, time.GetUtcNow(), cancellationToken);
        if (sale is null)
        {
            return null;
        }
        sale = await PublishAsync(sale);
        soldOut.StockReturned(saleId);
        broadcast.StockBack(saleId);
        return sale;
    }

    /// <summary>
    /// Here, read again under the directory's update lock (a refresh running meanwhile cannot put
    /// its older copy back); elsewhere, by the news.
    /// </summary>
    private async Task<Sale> PublishAsync(Sale stored)
    {
        var sale = await directory.ReloadAsync(stored.Id, CancellationToken.None) ?? stored;
        news.Changed(sale.Id);
        return sale;
    }

    /// <summary>Every unit the live shards hold of the sale, back to the pool (one ledger move per shard).</summary>
    private async Task GatherInPoolAsync(long saleId)
    {
        foreach (var view in await allocator.ViewAsync(saleId))
        {
            if (view.Available > 0)
            {
                await mover.FromShardAsync(saleId, view.ShardId, null, view.Available);
            }
        }
    }
}
