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
/// instead of one timer firing per winner. The timer is armed exactly while the queue holds
/// someone, both changed under one lock, so no waiter is left without a sweep to come.
/// </remarks>
public sealed class ConfirmWaits : IDisposable
{
    private readonly long _wait;
    private readonly TimeSpan _slack;
    // A plain queue under a lock: a few thousand waits a second at most, and a sweep must see
    // the queue and the timer's state together (a lock-free queue that is peeked also keeps each
    // of its blocks for good, and grows new ones).
    private readonly Queue<PendingOrder> _waiting = new();
    private readonly Lock _lock = new();
    private readonly Timer _timer;
    private bool _armed;
    private bool _disposed;

    public ConfirmWaits(TimeSpan wait)
    {
        _wait = (long)(wait.TotalSeconds * Stopwatch.Frequency);
        _slack = TimeSpan.FromMilliseconds(Math.Clamp(wait.TotalMilliseconds / 10, 1, 10));
        // Not capturing the execution context of the request that happens to create it.
        using (ExecutionContext.SuppressFlow())
        {
            _timer = new Timer(_ => Sweep(), null, Timeout.Infinite, Timeout.Infinite);
        }
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
        lock (_lock)
        {
            _waiting.Enqueue(pending);
            if (!_armed)
            {
                Arm(pending.WaitEndsAt);
            }
        }
        return answer;
    }

    /// <summary>Called under the lock: the timer fires when the wait ending at <paramref name="endsAt"/> is over.</summary>
    private void Arm(long endsAt)
    {
        if (_disposed)
        {
            // The host is stopping: the writer has drained, and answered everyone still waiting.
            return;
        }
        var due = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), endsAt);
        _timer.Change(due < _slack ? _slack : due, Timeout.InfiniteTimeSpan);
        _armed = true;
    }

    private void Sweep()
    {
        lock (_lock)
        {
            _armed = false;
            var now = Stopwatch.GetTimestamp();
            while (_waiting.TryPeek(out var head) && (head.Answered || head.WaitEndsAt <= now))
            {
                _waiting.Dequeue();
                // Queues the buyer's continuation (it runs asynchronously), nothing more.
                head.StopWaiting();
            }
            if (_waiting.TryPeek(out var next))
            {
                Arm(next.WaitEndsAt);
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _timer.Dispose();
        }
    }
}
