using System.Diagnostics;
using Microsoft.Extensions.Options;

namespace Seckill.Web.Gate;

/// <summary>
/// Samples the thread pool's queueing delay for the <see cref="LoadShedder"/>: on a thread of its
/// own (the pool's threads are what it measures), it posts one work item at a time to the pool's
/// global queue and reports how long it waited; while an item is still waiting, its age so far is
/// reported, so a starved pool is seen before the item runs.
/// </summary>
/// <remarks>
/// An idle pool is not probed: with nothing queued and a worker free, an item would run at once,
/// so the delay is 0 without posting one. Posting it anyway woke a sleeping worker 200 times a
/// second, and each woke spinning for more work: 11 % of a core in an instance that served
/// nothing (BENCHMARKS.md section 15).
/// </remarks>
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
            if (PoolIsIdle())
            {
                shedder.Observe(0, now);
                continue;
            }
            Volatile.Write(ref _postedAt, now);
            ThreadPool.UnsafeQueueUserWorkItem(static probe => probe.Ran(), this, preferLocal: false);
        }
    }

    /// <summary>Nothing queued and a worker free: an item posted now would not wait.</summary>
    private static bool PoolIsIdle()
    {
        if (ThreadPool.PendingWorkItemCount > 0)
        {
            return false;
        }
        ThreadPool.GetMaxThreads(out var maxWorkers, out _);
        ThreadPool.GetAvailableThreads(out var availableWorkers, out _);
        var busy = maxWorkers - availableWorkers;
        return busy < ThreadPool.ThreadCount;
    }

    private void Ran()
    {
        var now = Stopwatch.GetTimestamp();
        var postedAt = Volatile.Read(ref _postedAt);
        Volatile.Write(ref _postedAt, 0);
        shedder.Observe(now - postedAt, now);
    }
}
