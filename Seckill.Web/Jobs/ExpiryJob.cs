using System.Data.Common;
using Microsoft.Extensions.Options;
using Seckill.Web.Orders;

namespace Seckill.Web.Jobs;

/// <summary>
/// Expires orders whose payment deadline passed and returns their stock, every
/// <see cref="OrderOptions.ExpiryInterval"/>. Safe to run twice or to stop at any line: each
/// expiry is a conditional update in its own transaction.
/// </summary>
public sealed partial class ExpiryJob(OrderLifecycle orders, TimeProvider time, IOptions<OrderOptions> options, ILogger<ExpiryJob> log)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ExpiryInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    var expired = await orders.ExpireDueAsync(stoppingToken);
                    if (expired > 0)
                    {
                        LogExpired(expired);
                    }
                }
                catch (DbException e)
                {
                    LogFailed(e);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Expired {Count} unpaid orders and returned their stock")]
    private partial void LogExpired(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Expiry run failed; the next tick retries")]
    private partial void LogFailed(Exception e);
}
