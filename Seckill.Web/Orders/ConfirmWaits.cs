using System.Collections.Concurrent;
using System.Diagnostics;

namespace Seckill.Web.Orders;

/// <summary>
/// The buyers waiting a moment (<c>Orders:ConfirmWaitMs</c>) for their order's write: each is
/// answered by the write, or, when its wait runs out first, as still queued. One timer for all
/// of them, armed only while someone waits, instead of a timer per winner.
/// </summary>
/// <remarks>
/// Every buyer waits the same time, so the queue is in the order the waits end: a sweep answers
/// the expired ones at its head, drops the ones the writer already answered, and re-arms for the
/// next. A wait ends at most <see cref="_slack"/> late, which keeps a busy second to a few sweeps
/// instead of one timer firing per winner.
/// </remarks>
public sealed class ConfirmWaits : IDisposable
{
    private readonly long _wait;
    private readonly TimeSpan _slack;
    private readonly ConcurrentQueue<PendingOrder> _waiting = new();
    private readonly Timer _timer;
    private int _armed;

    public ConfirmWaits(TimeSpan wait)
    {
        _wait = (long)(wait.TotalSeconds * Stopwatch.Frequency);
        _slack = TimeSpan.FromMilliseconds(Math.Clamp(wait.TotalMilliseconds / 10, 1, 10));
        _timer = new Timer(_ => Sweep(), null, Timeout.Infinite, Timeout.Infinite);
    }

    /// <summary>True when <paramref name="pending"/> was written within the wait, false if it is still queued.</summary>
    public ValueTask<bool> WaitAsync(PendingOrder pending)
    {
        if (_wait <= 0 || pending.Answered)
        {
            return new(pending.IsWritten);
        }
        pending.WaitEndsAt = Stopwatch.GetTimestamp() + _wait;
        // Taken before the order can be answered: the version it carries stays valid.
        var answer = pending.Reply;
        _waiting.Enqueue(pending);
        Arm();
        return answer;
    }

    /// <summary>Arms the timer for the head's end, unless it is armed (or a sweep runs, which re-arms).</summary>
    private void Arm()
    {
        while (Interlocked.CompareExchange(ref _armed, 1, 0) == 0)
        {
            if (_waiting.TryPeek(out var next))
            {
                var due = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next.WaitEndsAt);
                try
                {
                    _timer.Change(due < _slack ? _slack : due, Timeout.InfiniteTimeSpan);
                }
                catch (ObjectDisposedException)
                {
                    // The host is stopping (this was disposed with the services): nobody waits any more.
                }
                return;
            }
            // A sweep emptied the queue meanwhile; disarmed again, unless someone queued since.
            Volatile.Write(ref _armed, 0);
            if (_waiting.IsEmpty)
            {
                return;
            }
        }
    }

    private void Sweep()
    {
        var now = Stopwatch.GetTimestamp();
        while (_waiting.TryPeek(out var head) && (head.Answered || head.WaitEndsAt <= now))
        {
            _waiting.TryDequeue(out _);
            head.StopWaiting();
        }
        // Disarmed, then armed again if anyone still waits: a buyer queued during the sweep, who
        // found the timer armed, is either seen here or arms it itself.
        Volatile.Write(ref _armed, 0);
        if (!_waiting.IsEmpty)
        {
            Arm();
        }
    }

    public void Dispose() => _timer.Dispose();
}
