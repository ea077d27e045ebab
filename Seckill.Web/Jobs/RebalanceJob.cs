using Hangfire;
using Seckill.Web.Allocation;
using Seckill.Web.Sales;
using Seckill.Web.Stock;

namespace Seckill.Web.Jobs;

/// <summary>What one run of the rebalance job did (shown as the job's result in the dashboard).</summary>
public sealed record RebalanceRun(IReadOnlyList<RebalanceResult> Sales);

/// <summary>
/// The periodic rebalance (every few seconds, one instance of the cluster at a time): for each
/// running sale, finishes moves left half done, returns stock above high watermarks to the pool,
/// tops up shards below their low watermark, and starts the end game (<see cref="Rebalancer"/>).
/// It catches what the low-watermark signals missed; they do not wait for it.
/// </summary>
public sealed partial class RebalanceJob(SaleCatalog catalog, Rebalancer rebalancer, TimeProvider time, ILogger<RebalanceJob> log)
{
    public const string Id = "rebalance";

    [DisableConcurrentExecution(timeoutInSeconds: 30)]
    [AutomaticRetry(Attempts = 0)]
    public async Task<RebalanceRun> RunAsync(CancellationToken cancellationToken)
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
