using System.Diagnostics;
using Microsoft.Extensions.Options;

namespace Seckill.Web.Gate;

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
/// The signal is the delay of the thread pool's global queue, where the runtime's socket engine
/// puts every request's read (Kestrel then runs the request on that thread: <c>Http/HostSetup</c>):
/// a probe (<see cref="QueueDelayProbe"/>) posts an item every few milliseconds and times how long
/// it waits. A GC pause delays one or two samples and is ignored; only a delay that lasts
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

    /// <summary>How many intervals were judged overloaded so far (what a shed purchase is counted by is <c>PurchaseMetrics</c>'s <c>overloaded</c>).</summary>
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
