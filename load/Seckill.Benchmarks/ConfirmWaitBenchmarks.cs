using BenchmarkDotNet.Attributes;
using Seckill.Web.Orders;
using Seckill.Web.Stock;

namespace Seckill.Benchmarks;

/// <summary>
/// What a winner's short wait for its order's write (<c>Orders:ConfirmWaitMs</c>, 100 ms by
/// default) costs: queued, written, answered. Against the way it waited until section 36 of
/// BENCHMARKS.md, kept here only as the baseline: a task completion source for the write raced
/// against a <c>Task.Delay</c> of the wait in <c>Task.WhenAny</c>. Both create the pending order.
/// </summary>
[MemoryDiagnoser]
public class ConfirmWaitBenchmarks
{
    private static readonly TimeSpan Wait = TimeSpan.FromMilliseconds(100);
    private ConfirmWaits _waits = null!;
    private long _orderId;

    [GlobalSetup]
    public void Setup() => _waits = new ConfirmWaits(Wait, TimeProvider.System);

    [GlobalCleanup]
    public void Cleanup() => _waits.Dispose();

    [Benchmark(Baseline = true, Description = "task completion source, Task.Delay, WhenAny")]
    public async Task<bool> DelayPerWinner()
    {
        var pending = NextPending();
        var written = new TaskCompletionSource<OrderWrite>(TaskCreationOptions.RunContinuationsAsynchronously);
        var answer = WaitWithDelayAsync(written.Task);
        written.TrySetResult(Committed(pending));
        return await answer;
    }

    [Benchmark(Description = "ConfirmWaits: one timer for all")]
    public async Task<bool> OneTimerForAll()
    {
        var pending = NextPending();
        var answer = _waits.WaitAsync(pending);
        pending.Complete(Committed(pending));
        return await answer;
    }

    private static async ValueTask<bool> WaitWithDelayAsync(Task<OrderWrite> written)
    {
        if (!written.IsCompleted)
        {
            await Task.WhenAny(written, Task.Delay(Wait));
        }
        return written.IsCompleted;
    }

    private PendingOrder NextPending()
    {
        var id = ++_orderId;
        return new PendingOrder(new Reservation(id, SaleId: 1, UserId: id, Quantity: 1, AmountCents: 100, CreatedAtMs: 0, ShardId: 1), id);
    }

    private static OrderWrite Committed(PendingOrder pending) => new(pending.Reservation, Committed: true, RefusalCode: null);
}
