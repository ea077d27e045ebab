using Microsoft.Extensions.Options;
using Seckill.Web.Http;
using Seckill.Web.Sales;

namespace Seckill.Web.Gate;

/// <summary>
/// Reloads the blacklist from storage every <c>Gate:SaleRefreshInterval</c> (the cadence at which
/// sales are re-read), so a change whose message was lost (<see cref="BlacklistNews"/>) reaches
/// this instance within that period rather than at its next restart.
/// </summary>
public sealed partial class BlacklistRefresher(Blacklist blacklist, IOptions<SaleLookupOptions> options, TimeProvider time, ILogger<BlacklistRefresher> log)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SaleRefreshInterval, time);
        while (await timer.NextTickAsync(stoppingToken))
        {
            try
            {
                await blacklist.ReloadAsync(stoppingToken);
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                // Storage away for a while: keep refusing whom the list in memory holds and try again next tick.
                LogReloadFailed(error);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reloading the blacklist failed; applying the list in memory")]
    private partial void LogReloadFailed(Exception error);
}
