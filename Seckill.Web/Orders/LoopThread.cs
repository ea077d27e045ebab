using System.Collections.Concurrent;

namespace Seckill.Web.Orders;

/// <summary>
/// Runs async loops on a thread of their own: every continuation of a loop (after a channel wait,
/// a delay, a database call) is posted back to that thread, not queued to the thread pool. Loops
/// of one thread take turns at their awaits (<see cref="WriterThreads"/>: which loops share one).
/// </summary>
/// <remarks>
/// In a sale's selling seconds the thread pool's queue holds hundreds of requests, and the order
/// writer's loop, queued behind them after each await, started its next batch 50–70 ms late while
/// the winners waited for it (BENCHMARKS.md section 19). On its own thread it runs as soon as the
/// operating system gives it a core. What a loop awaits with <c>ConfigureAwait(false)</c> inside
/// runs wherever it completes, as before; only the loops' own steps come back here.
/// </remarks>
public sealed class LoopThread(string name) : SynchronizationContext
{
    private readonly BlockingCollection<(SendOrPostCallback Callback, object? State)> _work = [];
    private int _loops;
    private int _started;

    /// <summary>
    /// Starts <paramref name="loop"/> on this thread (started with the first loop; it ends when its
    /// last loop does); the task ends (or faults) with the loop.
    /// </summary>
    public Task Run(Func<Task> loop)
    {
        Interlocked.Increment(ref _loops);
        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(_ => _ = RunAsync(loop, ended), null);
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            new Thread(Pump) { IsBackground = true, Name = name }.Start();
        }
        return ended.Task;
    }

    private void Pump()
    {
        SetSynchronizationContext(this);
        foreach (var (callback, state) in _work.GetConsumingEnumerable())
        {
            callback(state);
        }
    }

    private async Task RunAsync(Func<Task> loop, TaskCompletionSource ended)
    {
        try
        {
            await loop();
            ended.TrySetResult();
        }
        catch (Exception e)
        {
            ended.TrySetException(e);
        }
        finally
        {
            if (Interlocked.Decrement(ref _loops) == 0)
            {
                _work.CompleteAdding();
            }
        }
    }

    public override void Post(SendOrPostCallback d, object? state)
    {
        try
        {
            _work.Add((d, state));
        }
        catch (InvalidOperationException)
        {
            // Every loop has ended and the thread with them: a late continuation (or a loop
            // started after that) runs on the pool.
            ThreadPool.QueueUserWorkItem(s => d(s), state, preferLocal: false);
        }
    }

    public override SynchronizationContext CreateCopy() => this;
}
