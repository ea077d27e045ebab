using Microsoft.Extensions.Options;
using Seckill.Web.Cluster;

namespace Seckill.Web.Sales;

/// <summary>
/// Drops the buyers' marks of sales that ended from this instance's shard, <c>Gate:EndedSaleMarksKept</c>
/// after their end. An ended sale takes no purchase (<c>Purchasing/Admission</c> refuses it
/// before the shard is asked), so its marks only take room: one per buyer, in the shard's Redis
/// and in the instance's memory (738,500 marks held 52 MB of an instance's heap, BENCHMARKS.md
/// section 35: about 0.7 MB a sale of 10,000 buyers), for as long as the instance runs. A start
/// already leaves them out (<c>Orders/ShardRecovery</c>).
/// </summary>
/// <remarks>
/// Run by <see cref="SaleRefresher"/> before each refresh, while the sales that ended since the
/// last one are still pinned in the catalog: a sale is seen while it runs, then seen ended (still
/// pinned, or already gone from the catalog), and its marks are dropped once it has been ended
/// long enough. A sale pinned and unpinned between two refreshes (created and ended early within
/// one interval) is not seen; its marks go at the instance's next start. Not thread-safe: one
/// loop calls it.
/// </remarks>
public sealed partial class EndedSaleMarks(SaleCatalog catalog, IShardRouter shards, IOptions<SaleLookupOptions> options, TimeProvider time,
    ILogger<EndedSaleMarks> log)
{
    private readonly TimeSpan _kept = options.Value.EndedSaleMarksKept;
    // Sales seen pinned and not ended; and sales seen ended, with when they ended.
    private readonly HashSet<long> _running = [];
    private readonly Dictionary<long, DateTimeOffset> _ended = [];

    public async Task ForgetAsync()
    {
        var now = time.GetUtcNow();
        foreach (var sale in catalog.All)
        {
            if (sale.HasEnded(now))
            {
                _running.Remove(sale.Id);
                _ended.TryAdd(sale.Id, sale.EndsAt);
            }
            else
            {
                // Also a sale whose end was moved later again.
                _ended.Remove(sale.Id);
                _running.Add(sale.Id);
            }
        }
        // Seen running and unpinned since: it ended (or was deleted) and the catalog learned it.
        foreach (var gone in _running.Where(id => !catalog.TryGet(id, out _)).ToList())
        {
            _running.Remove(gone);
            _ended.TryAdd(gone, now);
        }
        foreach (var (saleId, endedAt) in _ended.Where(sale => now - sale.Value >= _kept).ToList())
        {
            try
            {
                await shards.Local.ForgetBuyersAsync(saleId);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The shard's store is away (or anything else went wrong): kept for the next
                // refresh, which runs whatever happens here.
                LogForgetFailed(e, saleId);
                return;
            }
            _ended.Remove(saleId);
            LogForgotten(saleId, endedAt);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Dropped the buyers' marks of sale {SaleId} (ended at {EndedAt:o}) from this instance's shard")]
    private partial void LogForgotten(long saleId, DateTimeOffset endedAt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not drop the buyers' marks of ended sale {SaleId}; trying again at the next refresh")]
    private partial void LogForgetFailed(Exception e, long saleId);
}
