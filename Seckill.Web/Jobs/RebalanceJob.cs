using Hangfire;
using Seckill.Web.Allocation;
using Seckill.Web.Cluster;
using Seckill.Web.Sales;
using Seckill.Web.Stock;

namespace Seckill.Web.Jobs;

/// <summary>What one run of the rebalance job did (shown as the job's result in the dashboard).</summary>
/// <param name="Skipped">Another run held the lease: this one did nothing.</param>
public sealed record RebalanceRun(IReadOnlyList<RebalanceResult> Sales, bool Skipped = false);

/// <summary>
/// The periodic rebalance (every few seconds, one instance of the cluster at a time): for each
/// running sale, finishes moves left half done, returns stock above high watermarks to the pool,
/// tops up shards below their low watermark, and starts the end game (<see cref="Rebalancer"/>).
/// It catches what the low-watermark signals missed; they do not wait for it.
/// </summary>
/// <remarks>
/// One run at a time through a short lease in the registry, skipped (not waited for) when held:
/// Hangfire's <c>DisableConcurrentExecution</c> lock outlives a holder killed mid-run by 30 s, which
/// would hold up every rebalance of the cluster that long after an instance dies. A run that
/// outlasts its lease may overlap the next; every move is idempotent, so that only costs churn.
/// </remarks>
public sealed partial class RebalanceJob(
    SaleCatalog catalog, Rebalancer rebalancer, IInstanceRegistry registry, IShardRouter shards, TimeProvider time, ILogger<RebalanceJob> log)
{
    public const string Id = "rebalance";

    private static readonly TimeSpan LeaseFor = TimeSpan.FromSeconds(10);

    [AutomaticRetry(Attempts = 0)]
    public async Task<RebalanceRun> RunAsync(CancellationToken cancellationToken)
    {
        var owner = $"rebalance-by-{shards.Local.Id}-{Guid.NewGuid():N}";
        if (!await registry.TryLockAsync(Id, owner, LeaseFor))
        {
            return new RebalanceRun([], Skipped: true);
        }
        try
        {
            return await RebalanceAsync(cancellationToken);
        }
        finally
        {
            await registry.UnlockAsync(Id, owner);
        }
    }

    private async Task<RebalanceRun> RebalanceAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var results = new List<RebalanceResult>();
        foreach (var sale in catalog.All.Where(sale => sale.HasStarted(now) && !sale.HasEnded(now)))
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                var result = await rebalancer.RebalanceAsync(sale.Id);
                if (result.UnitsMoved > 0 || result.Resumed > 0 || result.EndgameShard is not null)
                {
                    results.Add(result);
                }
            }
            catch (Exception e) when (e is StockUnavailableException or System.Data.Common.DbException)
            {
                LogFailed(e, sale.Id);
            }
        }
        return new RebalanceRun(results);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rebalancing sale {SaleId} failed; the next run tries again")]
    private partial void LogFailed(Exception e, long saleId);
}
