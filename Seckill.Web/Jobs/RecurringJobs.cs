using System.Linq.Expressions;
using Hangfire;
using Hangfire.Common;
using Hangfire.Storage;
using Microsoft.Extensions.Options;

namespace Seckill.Web.Jobs;

/// <summary>
/// Writes the cluster's recurring jobs into the shared job storage when an instance starts. Every
/// instance writes the same definitions (a recurring job is defined by its id); the reconcile job
/// is one per shard, on the queue only that shard's instance serves.
/// </summary>
/// <remarks>
/// Hangfire's registration is synchronous. With the clustered storage (Hangfire.Redis on the pool
/// Redis) each call waits for a reply that StackExchange.Redis completes on the thread pool, so on
/// a starved pool a call can time out although Redis answered at once (seen in CI: a test host's
/// start failed on <c>HGETALL</c> after 5 s, with 10 busy workers and 12 items queued). Such a
/// failure says nothing about the instance: the registration is tried again, up to
/// <see cref="Attempts"/> times, before the instance gives up starting. An invalid cron expression
/// is a configuration error and fails at once.
/// </remarks>
public sealed partial class RecurringJobs(IRecurringJobManager recurring, IOptions<JobsOptions> jobs, ILogger<RecurringJobs> log)
{
    /// <summary>Tries per job: each is bounded by the storage client's own timeout (Redis: 5 s).</summary>
    public const int Attempts = 4;

    public void Register(int shardId)
    {
        var options = jobs.Value;
        Register<ExpireJob>(ExpireJob.Id, "default", nameof(JobsOptions.Expire), options.Expire, job => job.RunAsync(CancellationToken.None));
        Register<RebalanceJob>(RebalanceJob.Id, "default", nameof(JobsOptions.Rebalance), options.Rebalance, job => job.RunAsync(CancellationToken.None));
        Register<ReclaimJob>(ReclaimJob.Id, "default", nameof(JobsOptions.Reclaim), options.Reclaim, job => job.RunAsync(CancellationToken.None));
        Register<ReconcileJob>(ReconcileJob.IdOf(shardId), ReconcileJob.QueueOf(shardId), nameof(JobsOptions.Reconcile), options.Reconcile,
            job => job.RunAsync(CancellationToken.None));
    }

    private void Register<TJob>(string id, string queue, string setting, string cron, Expression<Func<TJob, Task>> run)
    {
        var job = Job.FromExpression(run, queue);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                recurring.AddOrUpdate(id, job, cron, new RecurringJobOptions { TimeZone = TimeZoneInfo.Utc });
                return;
            }
            catch (ArgumentException e)
            {
                throw new InvalidOperationException($"{JobsOptions.Section}:{setting} is not a valid cron expression: {e.Message}", e);
            }
            catch (DistributedLockTimeoutException e)
            {
                // The job's lock in the shared storage is held by an instance killed while holding
                // it (it expires by itself later; README "Jobs"). The registration made before stands,
                // and its scheduler runs it: an instance must not fail to start for that.
                LogRegistrationSkipped(e, id);
                return;
            }
            catch (Exception e) when (attempt < Attempts)
            {
                LogRegistrationRetried(e, id, attempt, Attempts);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Recurring job {JobId} not registered again: its lock is held (by an instance killed while holding it?); the registration already stored stands")]
    private partial void LogRegistrationSkipped(Exception e, string jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recurring job {JobId} not registered (attempt {Attempt} of {Attempts}); trying again")]
    private partial void LogRegistrationRetried(Exception e, string jobId, int attempt, int attempts);
}
