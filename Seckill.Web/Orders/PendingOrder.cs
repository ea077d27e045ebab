using System.Diagnostics;
using Seckill.Web.Stock;
namespace Seckill.Web.Orders;

/// <summary>
/// A reservation handed to the <see cref="OrderWriter"/> and not yet written: what the buyer's
/// request waits on, and what <c>GET /api/orders/{id}</c> shows as <c>queued</c>.
/// </summary>
/// <remarks>Written once by the writer (<see cref="Complete"/>), awaited by any number of readers.</remarks>
public sealed class PendingOrder(Reservation reservation, long sequence)
{
    private readonly TaskCompletionSource<OrderWrite> _written = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Reservation Reservation { get; } = reservation;

    /// <summary>Place in the writer's queue since the process started (1-based).</summary>
    public long Sequence { get; } = sequence;

    /// <summary>When it was queued (a <see cref="Stopwatch"/> timestamp).</summary>
    public long QueuedAt { get; } = Stopwatch.GetTimestamp();

    public Task<OrderWrite> Written => _written.Task;

    internal void Complete(OrderWrite write) => _written.TrySetResult(write);

    /// <summary>Waits up to <paramref name="wait"/> for the write; false when it is still queued.</summary>
    public async ValueTask<bool> WaitAsync(TimeSpan wait)
    {
        if (!_written.Task.IsCompleted && wait > TimeSpan.Zero)
        {
            // Not Task.WaitAsync(timeout): it creates a TimeoutException for every 202, and 202s
            // come in thousands exactly when the service is busiest.
            await Task.WhenAny(_written.Task, Task.Delay(wait));
        }
        return _written.Task.IsCompleted;
    }
}
