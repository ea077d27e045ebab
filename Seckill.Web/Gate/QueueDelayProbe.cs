using System.Diagnostics;
using Microsoft.Extensions.Options;

namespace Seckill.Web.Gate;

/// <summary>
/// Samples the thread pool's queueing delay for the <see cref="LoadShedder"/>: on a thread of its
/// own (the pool's threads are what it measures), it posts one work item at a time to the pool's
/// global queue and reports how long it waited; while an item is still waiting, its age so far is
/// reported, so a starved pool is seen before the item runs.
/// </summary>
public sealed class QueueDelayProbe(LoadShedder shedder, IOptions<OverloadOptions> options) : IHostedService
{
    // A flag rather than a cancellation source: the host may dispose this before or without
    // stopping it, and the thread only needs to notice within one probe interval.
    private volatile bool _stopping;
    private long _postedAt;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.Enabled)
        {
            new Thread(Run) { IsBackground = true, Name = "Seckill queue-delay probe" }.Start();
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        return Task.CompletedTask;
    }

    private void Run()
    {
        var every = TimeSpan.FromMilliseconds(options.Value.ProbeEveryMs);
        while (!_stopping)
        {
            Thread.Sleep(every);
            var now = Stopwatch.GetTimestamp();
            var postedAt = Volatile.Read(ref _postedAt);
            if (postedAt != 0)
            {
                shedder.Observe(now - postedAt, now);
                continue;
            }
            Volatile.Write(ref _postedAt, now);
            ThreadPool.UnsafeQueueUserWorkItem(static probe => probe.Ran(), this, preferLocal: false);
        }
    }

    private void Ran()
    {
        var now = Stopwatch.GetTimestamp();
        var postedAt = Volatile.Read(ref _postedAt);
        Volatile.Write(ref _postedAt, 0);
        shedder.Observe(now - postedAt, now);
    }
}
