using System.Collections.Concurrent;

namespace Seckill.Web.Orders;

/// <summary>
/// Runs an async loop on a thread of its own: every continuation of the loop (after a channel
/// wait, a delay, a database call) is posted back to that thread, not queued to the thread pool.
/// </summary>
/// <remarks>
/// In a sale's selling seconds the thread pool's queue holds hundreds of requests, and the order
/// writer's loop, queued behind them after each await, started its next batch 50–70 ms late while
/// the winners waited for it (BENCHMARKS.md section 19). On its own thread it runs as soon as the
/// operating system gives it a core. What the loop awaits with <c>ConfigureAwait(false)</c> inside
/// runs wherever it completes, as before; only the loop's own steps come back here.
/// </remarks>
public sealed class LoopThread : SynchronizationContext
{
    private readonly BlockingCollection<(SendOrPostCallback Callback, object? State)> _work = [];

    /// <summary>Starts <paramref name="loop"/> on a new background thread; the task ends (or faults) with it.</summary>
    public static Task Run(string name, Func<Task> loop)
    {
        var context = new LoopThread();
        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() => context.Pump(loop, ended)) { IsBackground = true, Name = name };
        thread.Start();
        return ended.Task;
    }

    private void Pump(Func<Task> loop, TaskCompletionSource ended)
    {
        SetSynchronizationContext(this);
        Post(_ => _ = RunAsync(loop, ended), null);
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
            _work.CompleteAdding();
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
            // The loop has ended and its thread with it: a late continuation runs on the pool.
            ThreadPool.QueueUserWorkItem(s => d(s), state, preferLocal: false);
        }
    }

    public override SynchronizationContext CreateCopy() => this;
}
