using System.Diagnostics;
using System.Threading.Tasks.Sources;
using Seckill.Web.Stock;
namespace Seckill.Web.Orders;

/// <summary>
/// A reservation handed to the <see cref="OrderWriter"/> and not yet written: what the buyer's
/// request waits on (<see cref="ConfirmWaits"/>), and what <c>GET /api/orders/{id}</c> shows as <c>queued</c>.
/// </summary>
/// <remarks>
/// Its own awaitable (an <see cref="IValueTaskSource{TResult}"/>) rather than a task completion
/// source and a <c>Task.Delay</c> raced in <c>Task.WhenAny</c>, a timer per winner, in the seconds
/// when thousands wait at once: a winner's wait allocated 912 bytes that way and 224 this way
/// (<c>load/Seckill.Benchmarks</c>, BENCHMARKS.md section 36). The buyer's request is its only awaiter, once.
/// </remarks>
public sealed class PendingOrder(Reservation reservation, long sequence) : IValueTaskSource<bool>
{
    private ManualResetValueTaskSourceCore<bool> _reply = new() { RunContinuationsAsynchronously = true };
    private OrderWrite _write;
    private volatile bool _written;
    private int _answered;

    public Reservation Reservation { get; } = reservation;

    /// <summary>Place in the writer's queue since the process started (1-based).</summary>
    public long Sequence { get; } = sequence;

    /// <summary>When it was queued (a <see cref="Stopwatch"/> timestamp).</summary>
    public long QueuedAt { get; } = Stopwatch.GetTimestamp();

    /// <summary>The writer is done with it: <see cref="Write"/> says what it did.</summary>
    public bool IsWritten => _written;

    /// <summary>What the writer did with it, once <see cref="IsWritten"/>.</summary>
    public OrderWrite Write => _written ? _write : throw new InvalidOperationException("The order is not written yet.");

    /// <summary>When the buyer stops waiting for the write (a timestamp of its clock), set by <see cref="ConfirmWaits"/>.</summary>
    internal long WaitEndsAt { get; set; }

    /// <summary>The buyer has been answered: the order was written, or the wait ran out.</summary>
    internal bool Answered => Volatile.Read(ref _answered) != 0;

    /// <summary>True once written, false if the wait ran out first; awaited once, by the buyer's request.</summary>
    internal ValueTask<bool> Reply => new(this, _reply.Version);

    /// <summary>Called once by the writer; answers the buyer if it is still waiting.</summary>
    internal void Complete(OrderWrite write)
    {
        _write = write;
        _written = true;
        Settle(written: true);
    }

    /// <summary>The buyer's wait ran out before the write: answered as still queued (202).</summary>
    internal void StopWaiting() => Settle(written: false);

    private void Settle(bool written)
    {
        // The write and the end of the wait race; the buyer is answered by the first.
        if (Interlocked.Exchange(ref _answered, 1) == 0)
        {
            _reply.SetResult(written);
        }
    }

    bool IValueTaskSource<bool>.GetResult(short token) => _reply.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _reply.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _reply.OnCompleted(continuation, state, token, flags);
}
