using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Hangfire;
using Microsoft.Extensions.Options;
using Seckill.Web.Orders;

namespace Seckill.Web.Jobs.Notifications;

/// <summary>
/// Turns order events into notification jobs, off the path of the request that caused them: an
/// event is put in a bounded in-process queue (no I/O, never waits) and a background loop enqueues
/// what is waiting as one job (up to <see cref="NotifyJob.BatchSize"/>). When the queue is full,
/// or the job queue holds about <see cref="NotificationOptions.MaxBacklog"/> undelivered
/// notifications (that many divided by the batch size, in jobs), new ones are shed and
/// counted (<c>seckill.notifications.shed</c>, <see cref="Shed"/>). Off when no webhook is set.
/// </summary>
public sealed class Notifier : IOrderEvents, IHostedService
{
    private readonly NotificationOptions _options;
    private readonly IServiceProvider _services;
    private readonly TimeProvider _time;
    private readonly Channel<Notification> _waiting;
    private readonly Counter<long> _shedCounter;
    private readonly CancellationTokenSource _stopping = new();
    private Task? _pump;
    private readonly bool _on;
    private long _shed;

    public Notifier(IOptions<NotificationOptions> options, IServiceProvider services, TimeProvider time, IMeterFactory meters)
    {
        (_options, _services, _time) = (options.Value, services, time);
        _on = _options.Webhook is not null;
        _waiting = Channel.CreateBounded<Notification>(new BoundedChannelOptions(_options.MaxBacklog)
        {
            FullMode = BoundedChannelFullMode.Wait, // TryWrite then fails at once instead of dropping silently
            SingleReader = true,
        });
        _shedCounter = meters.Create("Seckill").CreateCounter<long>("seckill.notifications.shed", description: "Notifications not sent because too many were waiting");
    }

    /// <summary>Notifications shed since the process started.</summary>
    public long Shed => Interlocked.Read(ref _shed);

    public void Confirmed(long orderId) => Notify("order_confirmed", orderId);

    public void Paid(long orderId) => Notify("order_paid", orderId);

    public void Expired(long orderId) => Notify("order_expired", orderId);

    private void Notify(string name, long orderId)
    {
        if (!_on)
        {
            return;
        }
        if (!_waiting.Writer.TryWrite(new Notification(name, orderId, _time.GetUtcNow())))
        {
            CountShed();
        }
    }

    private void CountShed(int count = 1)
    {
        Interlocked.Add(ref _shed, count);
        _shedCounter.Add(count);
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_on)
        {
            // Resolved now: the job storage exists once the storage's startup has connected.
            var jobs = _services.GetRequiredService<IBackgroundJobClient>();
            var monitoring = _services.GetRequiredService<JobStorage>().GetMonitoringApi();
            _pump = Task.Run(() => PumpAsync(jobs, monitoring, _stopping.Token), CancellationToken.None);
        }
        return Task.CompletedTask;
    }

    private async Task PumpAsync(IBackgroundJobClient jobs, Hangfire.Storage.IMonitoringApi monitoring, CancellationToken stopping)
    {
        var backlog = 0L;
        var lookedAt = DateTimeOffset.MinValue;
        try
        {
            var batch = new List<Notification>(NotifyJob.BatchSize);
            // Jobs waiting in the job storage, at most: each holds up to a batch.
            var maxJobs = Math.Max(1, _options.MaxBacklog / NotifyJob.BatchSize);
            while (await _waiting.Reader.WaitToReadAsync(stopping))
            {
                batch.Clear();
                while (batch.Count < NotifyJob.BatchSize && _waiting.Reader.TryRead(out var waiting))
                {
                    batch.Add(waiting);
                }
                try
                {
                    // The job queue's length, looked at once a second at most.
                    var now = _time.GetUtcNow();
                    if (now - lookedAt >= TimeSpan.FromSeconds(1))
                    {
                        backlog = monitoring.EnqueuedCount(NotifyJob.Queue);
                        lookedAt = now;
                    }
                    if (backlog >= maxJobs)
                    {
                        CountShed(batch.Count);
                        continue;
                    }
                    var notifications = batch.ToArray();
                    jobs.Enqueue<NotifyJob>(NotifyJob.Queue, job => job.SendAsync(notifications, null, CancellationToken.None));
                    backlog++;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The job storage did not take them (Redis away): shed, like a full queue.
                    CountShed(batch.Count);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _waiting.Writer.TryComplete();
        if (_pump is not null)
        {
            // What is already queued in process is handed to the job storage, unless the host's
            // stop timeout ends first.
            await _pump.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        _stopping.Cancel();
    }
}
