using System.Diagnostics;
using Seckill.Load.Measure;

namespace Seckill.Load.Drive;

/// <summary>
/// Starts each arrival at its scheduled time and never waits for earlier arrivals: if the service
/// slows down, requests pile up in flight instead of being sent late, and each is measured from
/// its scheduled time. The dispatcher wakes about every millisecond and sends every arrival that
/// is due itself, up to the point where the request waits for its answer (a send on an open
/// connection does not block); that lag is part of the measured latency and is reported on its
/// own as <see cref="DispatchLag"/>.
/// </summary>
/// <remarks>
/// Sending on the dispatcher's thread rather than handing each arrival to the thread pool saves
/// waking a pool thread every tick: on this 2-core machine the tool shares the cores with the
/// service, and its CPU went mostly to threads parked and woken (BENCHMARKS.md sections 36 and 39).
/// </remarks>
public sealed class OpenModelRunner(ArrivalSchedule schedule, Recorder recorder, int maxInFlight)
{
    private long _outstanding = 1; // the dispatcher itself, until it has started every arrival
    private readonly TaskCompletionSource _allDone = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>From each arrival's due time to the moment a thread started it (microseconds).</summary>
    public Histogram DispatchLag { get; } = new();

    /// <summary>Arrivals not sent because <c>maxInFlight</c> requests were already waiting: the
    /// tool, not the service, was the limit (counted as errors in the figures).</summary>
    public long Overflowed => Interlocked.Read(ref _overflowed);

    private long _overflowed;

    /// <summary>Runs the schedule; returns when every arrival has finished or <paramref name="drainTimeout"/>
    /// after the last was started. Returns the number of arrivals still unfinished.
    /// <paramref name="arrival"/> runs on the dispatcher's thread until its first wait, so it must
    /// not block before it: every later arrival would be sent that much late.</summary>
    public async Task<long> RunAsync(Func<long, long, Task> arrival, Func<long, long, Task> overflow, TimeSpan drainTimeout, CancellationToken cancellationToken)
    {
        // The dispatcher has a thread of its own: a timer-driven loop on the thread pool would
        // wake late whenever the pool is busy with responses, and every late wake-up is latency.
        var dispatched = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var dispatcher = new Thread(() =>
        {
            Dispatch(arrival, overflow, cancellationToken);
            dispatched.SetResult();
        }) { IsBackground = true, Name = "arrivals", Priority = ThreadPriority.AboveNormal };
        dispatcher.Start();
        await dispatched.Task;
        Finish();
        var drained = await Task.WhenAny(_allDone.Task, Task.Delay(drainTimeout, CancellationToken.None)) == _allDone.Task;
        return drained ? 0 : Interlocked.Read(ref _outstanding);
    }

    private void Dispatch(Func<long, long, Task> arrival, Func<long, long, Task> overflow, CancellationToken cancellationToken)
    {
        var start = recorder.StartTimestamp;
        long next = 0;
        while (schedule.Has(next) && !cancellationToken.IsCancellationRequested)
        {
            var now = Stopwatch.GetTimestamp();
            while (schedule.Has(next) && schedule.DueAt(next, start) <= now)
            {
                Start(next, schedule.DueAt(next, start), arrival, overflow);
                next++;
            }
            if (schedule.Has(next))
            {
                var wait = schedule.DueAt(next, start) - Stopwatch.GetTimestamp();
                // Sleep in steps of at most a millisecond (the kernel wakes us about 0.1 ms late),
                // and never busy-wait: the tool shares the machine with the service.
                Thread.Sleep(wait > Stopwatch.Frequency / 500 ? TimeSpan.FromTicks((wait * TimeSpan.TicksPerSecond / Stopwatch.Frequency) - TimeSpan.TicksPerMillisecond) : TimeSpan.FromMilliseconds(1));
            }
        }
    }

    private void Start(long index, long due, Func<long, long, Task> arrival, Func<long, long, Task> overflow)
    {
        recorder.ArrivalSent(due);
        Interlocked.Increment(ref _outstanding);
        var overflowed = recorder.InFlight >= maxInFlight;
        if (overflowed)
        {
            Interlocked.Increment(ref _overflowed);
        }
        _ = RunOneAsync(index, due, overflowed ? overflow : arrival);
    }

    private async Task RunOneAsync(long index, long due, Func<long, long, Task> arrival)
    {
        DispatchLag.Record(Recorder.Micros(due, Stopwatch.GetTimestamp()));
        try
        {
            await arrival(index, due);
        }
        finally
        {
            recorder.ArrivalDone();
            Finish();
        }
    }

    private void Finish()
    {
        if (Interlocked.Decrement(ref _outstanding) == 0)
        {
            _allDone.TrySetResult();
        }
    }
}
