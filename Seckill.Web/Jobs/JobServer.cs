using Hangfire;
using Hangfire.Common;
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
public sealed class JobServer(IServiceProvider services, IOptions<JobsOptions> options, IOptions<InstanceOptions> instance)
    : IHostedService, IDisposable
{
    private BackgroundJobServer? _server;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Resolved here, not in the constructor: hosted services are all constructed before the
        // first starts, and the job storage needs the storage's startup done. Hangfire's own
        // configuration first (its log goes to this host's logging, see HangfireLogs).
        services.GetRequiredService<IGlobalConfiguration>();
        var storage = services.GetRequiredService<JobStorage>();
        var shardId = services.GetRequiredService<IShardRouter>().Local.Id;
        var recurring = services.GetRequiredService<RecurringJobs>();
        // Hangfire registers synchronously: on a thread of its own, so that the wait for the
        // storage's replies does not also hold one of the thread-pool threads that complete them.
        await Task.Factory.StartNew(() => recurring.Register(shardId), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
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
    }

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
