using Microsoft.Extensions.Options;
using Seckill.Web.Http;

namespace Seckill.Web.Sales;

/// <summary>
/// Builds the sale id filter and pins the running sales before the first request, then re-reads running sales every
/// <c>Gate:SaleRefreshInterval</c> so pinned metadata follows storage (and, in a cluster, sales
/// created elsewhere become known here). Before each refresh, the shard drops the buyers' marks
/// of sales ended long enough ago (<see cref="EndedSaleMarks"/>).
/// </summary>
public sealed partial class SaleRefresher(
    SaleDirectory directory, EndedSaleMarks endedSaleMarks, IOptions<SaleLookupOptions> options, TimeProvider time, ILogger<SaleRefresher> log)
    : BackgroundService
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await directory.LoadAsync(cancellationToken);
        await directory.KnowRecentAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SaleRefreshInterval, time);
        while (await timer.NextTickAsync(stoppingToken))
        {
            // First: the sales that ended since the last refresh are still pinned then.
            await endedSaleMarks.ForgetAsync();
            try
            {
                await directory.RefreshAsync(stoppingToken);
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                // Storage away for a while: keep serving what is pinned and try again next tick.
                LogRefreshFailed(error);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refreshing sale metadata failed; serving the cached copy")]
    private partial void LogRefreshFailed(Exception error);
}
