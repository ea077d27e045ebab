using Hangfire;
using Hangfire.Common;
using Hangfire.Storage;
using Microsoft.Extensions.Options;
using Seckill.Web.Cluster;

namespace Seckill.Web.Jobs;

/// <summary>
/// This instance's Hangfire server, and the cluster's recurring jobs. Every instance runs a server
/// on the shared job storage; a recurring job is one entry there (defined by id: every instance
/// writes the same definition), enqueued once per occurrence whichever instance sees it due.
/// </summary>
/// <remarks>
/// Started as a hosted service after the storage's startup, because the job storage of the
/// clustered mode lives in the pool Redis, connected by then. The server is built here rather
/// than with Hangfire's <c>AddHangfireServer</c> so that it uses this host's services (activator,
/// storage) and not Hangfire's process-wide defaults: tests run many hosts in one process.
/// </remarks>
public sealed partial class JobServer(IServiceProvider services, IOptions<JobsOptions> options, IOptions<InstanceOptions> instance, ILogger<JobServer> log)
    : IHostedService, IDisposable
{
    private BackgroundJobServer? _server;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Resolved here, not in the constructor: hosted services are all constructed before the
        // first starts, and the job storage needs the storage's startup done. Hangfire's own
        // configuration first (its log goes to this host's logging, see HangfireLogs).
        services.GetRequiredService<IGlobalConfiguration>();
        var storage = services.GetRequiredService<JobStorage>();
        var recurring = services.GetRequiredService<IRecurringJobManager>();
        var shardId = services.GetRequiredService<IShardRouter>().Local.Id;
        AddOrUpdate<ExpireJob>(recurring, ExpireJob.Id, "default", nameof(JobsOptions.Expire), options.Value.Expire, job => job.RunAsync(CancellationToken.None));
        AddOrUpdate<RebalanceJob>(recurring, RebalanceJob.Id, "default", nameof(JobsOptions.Rebalance), options.Value.Rebalance, job => job.RunAsync(CancellationToken.None));
        AddOrUpdate<ReclaimJob>(recurring, ReclaimJob.Id, "default", nameof(JobsOptions.Reclaim), options.Value.Reclaim, job => job.RunAsync(CancellationToken.None));
        // Each shard's reconcile runs on its own instance: the queue only that instance serves.
        AddOrUpdate<ReconcileJob>(recurring, ReconcileJob.IdOf(shardId), ReconcileJob.QueueOf(shardId), nameof(JobsOptions.Reconcile), options.Value.Reconcile,
            job => job.RunAsync(CancellationToken.None));
        _server = new BackgroundJobServer(new BackgroundJobServerOptions
        {
            ServerName = $"seckill-{instance.Value.InstanceId}-{Environment.ProcessId}",
            WorkerCount = options.Value.WorkerCount,
            Queues = [ReconcileJob.QueueOf(shardId), "default", Notifications.NotifyJob.Queue],
            SchedulePollingInterval = options.Value.SchedulePollingInterval,
            Activator = services.GetRequiredService<JobActivator>(),
            // Hangfire's filters, and this host's own (job metrics).
            FilterProvider = new JobFilterProviderCollection(services.GetRequiredService<IJobFilterProvider>(),
                new JobFilterCollection { services.GetRequiredService<JobMetrics>() }),
        }, storage, []);
        return Task.CompletedTask;
    }

    private void AddOrUpdate<TJob>(IRecurringJobManager recurring, string id, string queue, string setting, string cron, System.Linq.Expressions.Expression<Func<TJob, Task>> run)
    {
        try
        {
            recurring.AddOrUpdate(id, Job.FromExpression(run, queue), cron, new RecurringJobOptions { TimeZone = TimeZoneInfo.Utc });
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
        }
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Recurring job {JobId} not registered again: its lock is held (by an instance killed while holding it?); the registration already stored stands")]
    private partial void LogRegistrationSkipped(Exception e, string jobId);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_server is not null)
        {
            // Running jobs are told to stop (their cancellation token); each is safe to stop anywhere.
            _server.SendStop();
            try
            {
                await _server.WaitForShutdownAsync(cancellationToken);
            }
            catch (ObjectDisposedException)
            {
                // Hangfire disposes a dispatcher's wait handle once that dispatcher has stopped; a
                // wait registered after that finds it disposed (seen once in CI, in a test host's
                // shutdown). That dispatcher is down; Dispose, which the host calls next, waits for the rest.
            }
        }
    }

    public void Dispose() => _server?.Dispose();
}
