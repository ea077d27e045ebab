using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using Microsoft.Extensions.Options;

namespace Seckill.Web.Gate;

/// <summary>Section <c>Overload</c>: when the instance refuses new purchases to stay fast (<see cref="LoadShedder"/>).</summary>
public sealed class OverloadOptions
{
    public const string Section = "Overload";

    /// <summary>Off: purchases queue however long the wait (for measuring the service without it).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The queueing delay the instance tolerates: work that waits longer than this for a thread, through a whole interval, means overload.</summary>
    [Range(1, 10_000, ErrorMessage = "Overload:TargetDelayMs must be between 1 and 10000.")]
    public int TargetDelayMs { get; set; } = 10;

    /// <summary>How long the delay must stay above the target before purchases are shed, and how often that is decided again.</summary>
    [Range(10, 60_000, ErrorMessage = "Overload:IntervalMs must be between 10 and 60000.")]
    public int IntervalMs { get; set; } = 100;

    /// <summary>How often the thread pool's queueing delay is sampled.</summary>
    [Range(1, 1_000, ErrorMessage = "Overload:ProbeEveryMs must be between 1 and 1000.")]
    public int ProbeEveryMs { get; set; } = 5;
}

/// <summary>Whether the instance is overloaded, in the sense of <see cref="LoadShedder"/>.</summary>
public interface IOverloadSignal
{
    bool Overloaded { get; }
}

/// <summary>
/// Overload control for the purchase path, CoDel-style: when work has waited for a thread longer
/// than <see cref="OverloadOptions.TargetDelayMs"/> throughout an interval — a standing queue, not
/// a burst — the instance is overloaded until an interval in which some work waited less. While
/// it is, a purchase that would reserve stock is refused at once (503 <c>overloaded</c>, with
/// <c>Retry-After: 1</c>, the smallest it can say; see <c>Purchasing/Checkout</c>) instead of joining the queue, so that the
/// instance answers everyone within its objective rather than everyone in seconds. Refusals that
/// cost nothing (sold out, not started, already purchased, the gate's) are still answered.
/// </summary>
/// <remarks>
/// The signal is the delay of the thread pool's global queue, where Kestrel puts every request's
/// work: a probe (<see cref="QueueDelayProbe"/>) posts an item every few milliseconds and times
/// how long it waits. A GC pause delays one or two samples and is ignored; only a delay that lasts
/// an interval sheds. A decision is a volatile read on the hot path.
/// </remarks>
public sealed class LoadShedder : IOverloadSignal
{
    private readonly long _target;
    private readonly long _interval;
    private readonly Lock _window = new();
    private long _windowStart;
    private long _windowMinimum = long.MaxValue;
    private volatile bool _overloaded;

    public LoadShedder(IOptions<OverloadOptions> options)
    {
        _target = Stopwatch.Frequency * options.Value.TargetDelayMs / 1000;
        _interval = Stopwatch.Frequency * options.Value.IntervalMs / 1000;
        _windowStart = Stopwatch.GetTimestamp();
    }

    public bool Overloaded => _overloaded;

    /// <summary>How many intervals were judged overloaded (for the metrics).</summary>
    public long OverloadedIntervals { get; private set; }

    /// <summary>A sample: at <paramref name="now"/> (a <see cref="Stopwatch"/> timestamp), work had waited <paramref name="delay"/> ticks.</summary>
    public void Observe(long delay, long now)
    {
        lock (_window)
        {
            _windowMinimum = Math.Min(_windowMinimum, delay);
            if (now - _windowStart < _interval)
            {
                return;
            }
            var overloaded = _windowMinimum > _target;
            if (overloaded)
            {
                OverloadedIntervals++;
            }
            _overloaded = overloaded;
            _windowStart = now;
            _windowMinimum = long.MaxValue;
        }
    }
}

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
