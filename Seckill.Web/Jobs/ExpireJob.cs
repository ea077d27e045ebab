using Hangfire;
using Seckill.Web.Orders;

namespace Seckill.Web.Jobs;

/// <summary>What one run of the expire job did (shown as the job's result in the dashboard).</summary>
public sealed record ExpireResult(int Expired);

/// <summary>
/// Expires orders whose payment deadline passed and returns their stock to the pool. Safe to run
/// twice in a row and to be stopped at any line: the due orders end in chunks, each chunk in one
/// transaction that takes only orders still awaiting payment. One run at a time in the whole
/// cluster (a lock in the job storage).
/// </summary>
public sealed partial class ExpireJob(OrderLifecycle orders, ILogger<ExpireJob> log)
{
    public const string Id = "expire";

    // A run that finds the lock taken waits for it, then finds nothing left to do. No retries:
    // the next schedule is the retry, and a failure stays visible in the dashboard's failed list.
    [DisableConcurrentExecution(timeoutInSeconds: 30)]
    [AutomaticRetry(Attempts = 0)]
    public async Task<ExpireResult> RunAsync(CancellationToken cancellationToken)
    {
        var expired = await orders.ExpireDueAsync(cancellationToken);
        if (expired > 0)
        {
            LogExpired(expired);
        }
        return new ExpireResult(expired);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Expired {Count} unpaid orders and returned their stock")]
    private partial void LogExpired(int count);
}
