using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace Seckill.Web.Orders;

/// <summary>
/// Payments and cancellations, written in batches: each buyer's change is queued, and one loop
/// writes everything queued in one transaction (<see cref="IOrderStore.ChangeAsync"/>), up to
/// 100 (or <see cref="OrderOptions.BatchSize"/>) at a time, then answers each buyer.
/// </summary>
/// <remarks>
/// In a flash sale the winners pay within the same seconds; one transaction each meant one commit
/// (one fsync) each, queued behind one another, and payments waited seconds (BENCHMARKS.md).
/// Batched, the changes queued while one batch commits form the next (group commit): no waiting
/// window is added when few pay, and a crowd shares its commits. Many producers, one consumer.
/// A batch does not take one of the buyers' <see cref="DatabaseSlots"/>: one loop writes one batch
/// at a time, so it adds at most one connection to the database's work anyway, and in a sale's
/// busiest seconds a batch queued behind thousands of order reads (the polls of buyers answered
/// 202) made every payer wait seconds (BENCHMARKS.md sections 26–27). A graceful stop writes what is
/// queued before the host stops.
/// </remarks>
public sealed class PaymentWriter(IOrderStore store, IOptions<OrderOptions> options, WriterThreads threads) : BackgroundService
{
    private readonly Channel<QueuedChange> _queue = Channel.CreateUnbounded<QueuedChange>(new UnboundedChannelOptions { SingleReader = true });
    /// <summary>
    /// At most this many per transaction (or <c>Orders:BatchSize</c> if smaller): a batch holds its
    /// sales' rows locked until it commits, and the order writer waits for them meanwhile.
    /// </summary>
    private const int MaxBatch = 100;

    private readonly int _batchSize = Math.Min(options.Value.BatchSize, MaxBatch);

    /// <summary>
    /// Queues the change and waits for its batch to commit; the store's error if the batch failed.
    /// Not cancellable: once queued the change is written, and the caller must see its outcome to
    /// finish it (an order that ended gives its buyer's mark and its units back).
    /// </summary>
    public async Task<OrderChangeResult> ChangeAsync(OrderChange change)
    {
        var queued = new QueuedChange(change);
        if (!_queue.Writer.TryWrite(queued))
        {
            // Stopping: written on its own, as before there was a queue.
            return (await store.ChangeAsync([change], CancellationToken.None))[0];
        }
        return await queued.Task;
    }

    public override Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        return base.StopAsync(cancellationToken);
    }

    /// <summary>With SQLite the loop runs on the order writer's thread, and the two never meet at its write lock (<see cref="WriterThreads"/>).</summary>
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        threads.Payments is { } thread ? thread.Run(WriteBatchesAsync) : WriteBatchesAsync();

    private async Task WriteBatchesAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<QueuedChange>(_batchSize);
        // Ends when the queue is completed (StopAsync) and drained, not at the stop signal:
        // every change accepted is written.
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            while (batch.Count < _batchSize && reader.TryRead(out var queued))
            {
                batch.Add(queued);
            }
            await WriteAsync(batch);
            batch.Clear();
        }
    }

    private async Task WriteAsync(List<QueuedChange> batch)
    {
        var changes = batch.ConvertAll(queued => queued.Change);
        try
        {
            var results = await store.ChangeAsync(changes, CancellationToken.None);
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].TrySetResult(results[i]);
            }
        }
        catch (Exception error)
        {
            // The transaction did not commit (the store retried what was transient): nothing of
            // the batch was written, and every buyer of the batch gets the error.
            foreach (var queued in batch)
            {
                queued.TrySetException(error);
            }
        }
    }

    private sealed class QueuedChange(OrderChange change) : TaskCompletionSource<OrderChangeResult>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public OrderChange Change { get; } = change;
    }
}
