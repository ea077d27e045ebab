namespace Seckill.Web.Orders;

/// <summary>
/// The buyers waiting a moment (<c>Orders:ConfirmWaitMs</c>) for their order's write: each is
/// answered by the write, or, when its wait runs out first, as still queued. One timer for all
/// of them, armed only while someone waits, instead of a timer per winner.
/// </summary>
/// <remarks>
/// Every buyer waits the same time, so the queue is in the order the waits end: a sweep answers
/// the expired ones at its head, drops the ones the writer already answered, and re-arms for the
/// next. A sweep also answers the waits that would end within <see cref="_slack"/> after it, so a
/// busy second takes a few sweeps instead of one timer firing per winner; a wait may so end up to
/// the slack early, never late by it (ARCHITECTURE: "wait up to <c>Orders:ConfirmWaitMs</c>").
/// The timer is armed exactly while the queue holds someone, both changed under one lock, so no
/// waiter is left without a sweep to come.
/// </remarks>
public sealed class ConfirmWaits : IDisposable
{
    private readonly TimeProvider _time;
    // Both in the clock's timestamp ticks.
    private readonly long _wait;
    private readonly long _slack;
    // A plain queue under a lock: a few thousand waits a second at most, and a sweep must see
    // the queue and the timer's state together (a lock-free queue that is peeked also keeps each
    // of its blocks for good, and grows new ones).
    private readonly Queue<PendingOrder> _waiting = new();
    private readonly Lock _lock = new();
    private readonly ITimer _timer;
    private bool _armed;
    private bool _disposed;

    public ConfirmWaits(TimeSpan wait, TimeProvider time)
    {
        _time = time;
        _wait = (long)(wait.TotalSeconds * time.TimestampFrequency);
        _slack = (long)(Math.Clamp(wait.TotalMilliseconds / 10, 1, 10) / 1000 * time.TimestampFrequency);
        // Not capturing the execution context of the request that happens to create it.
        using (ExecutionContext.SuppressFlow())
        {
            _timer = time.CreateTimer(_ => Sweep(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>True when <paramref name="pending"/> was written within the wait, false if it is still queued.</summary>
    public ValueTask<bool> WaitAsync(PendingOrder pending)
    {
        if (_wait <= 0 || pending.Answered)
        {
            return new(pending.IsWritten);
        }
        pending.WaitEndsAt = _time.GetTimestamp() + _wait;
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
        // Due at the wait's end: a sweep then takes every wait ending within the slack after it,
        // so the next head ends more than the slack later and sweeps stay that far apart.
        var due = _time.GetElapsedTime(_time.GetTimestamp(), endsAt);
        _timer.Change(due > TimeSpan.Zero ? due : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        _armed = true;
    }

    private void Sweep()
    {
        lock (_lock)
        {
            _armed = false;
            var horizon = _time.GetTimestamp() + _slack;
            while (_waiting.TryPeek(out var head) && (head.Answered || head.WaitEndsAt <= horizon))
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
