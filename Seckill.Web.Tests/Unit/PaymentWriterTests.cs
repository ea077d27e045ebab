using Microsoft.Extensions.Options;
using Seckill.Web.Orders;

namespace Seckill.Web.Tests.Unit;

/// <summary>
/// The payment writer's batching (group commit): what is queued while a batch is in the database
/// forms the next batches, at most 100 changes each, and every buyer gets their own change's
/// outcome, or their batch's error. The store here is a stand-in that only records the batches;
/// what a batch does to the orders is tested against real databases (<c>PaymentBurstTests</c>,
/// <c>OrderStoreTests</c>).
/// </summary>
public sealed class PaymentWriterTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ChangesQueuedWhileABatchIsInTheDatabaseShareTheNextBatches()
    {
        var store = new BatchRecordingStore();
        var writer = await StartWriterAsync(store);

        var first = writer.ChangeAsync(Pay(1));
        await store.FirstBatchArrived.WaitAsync(Deadline);
        // 250 buyers pay while the first batch has not committed yet.
        var waiting = Enumerable.Range(2, 250).Select(id => writer.ChangeAsync(Pay(id))).ToList();
        store.ReleaseFirstBatch();
        var results = await Task.WhenAll(waiting.Prepend(first)).WaitAsync(Deadline);

        Assert.Equal([1, 100, 100, 50], store.BatchSizes);
        // Each buyer gets the outcome of their own order, wherever it was in its batch.
        Assert.Equal(Enumerable.Range(1, 251).Select(BatchRecordingStore.OutcomeOf), results.Select(r => r.Payment));
        await writer.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task EveryBuyerOfABatchThatFailedGetsItsErrorAndTheNextBatchIsWritten()
    {
        var store = new BatchRecordingStore { FailingOrder = 3 };
        var writer = await StartWriterAsync(store);

        var first = writer.ChangeAsync(Pay(1));
        await store.FirstBatchArrived.WaitAsync(Deadline);
        var failing = Enumerable.Range(2, 100).Select(id => writer.ChangeAsync(Pay(id))).ToList();
        var next = writer.ChangeAsync(Pay(102));
        store.ReleaseFirstBatch();

        await first.WaitAsync(Deadline);
        foreach (var change in failing)
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => change.WaitAsync(Deadline));
        }
        Assert.Equal(BatchRecordingStore.OutcomeOf(102), (await next.WaitAsync(Deadline)).Payment);
        Assert.Equal([1, 100, 1], store.BatchSizes);
        await writer.StopAsync(CancellationToken.None);
    }

    private static OrderChange Pay(int orderId) => new(orderId, OrderChangeKind.Pay, orderId);

    private async Task<PaymentWriter> StartWriterAsync(IOrderStore store)
    {
        var options = Options.Create(new OrderOptions());
        var writer = new PaymentWriter(store, options, new WriterThreads(new LoopThread("test order writer"), null));
        await writer.StartAsync(CancellationToken.None);
        return writer;
    }

    /// <summary>Records each batch's size; holds the first one until released; fails the batch holding <see cref="FailingOrder"/>.</summary>
    private sealed class BatchRecordingStore : IOrderStore
    {
        private readonly TaskCompletionSource _firstArrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _firstReleased = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly List<int> _batchSizes = [];

        public long FailingOrder { get; init; }

        public Task FirstBatchArrived => _firstArrived.Task;

        public IReadOnlyList<int> BatchSizes
        {
            get
            {
                lock (_batchSizes)
                {
                    return [.. _batchSizes];
                }
            }
        }

        public void ReleaseFirstBatch() => _firstReleased.TrySetResult();

        /// <summary>Outcomes differ by order, so that a result handed to the wrong buyer shows.</summary>
        public static PaymentOutcome OutcomeOf(int orderId) => orderId % 2 == 0 ? PaymentOutcome.Paid : PaymentOutcome.AlreadyPaid;

        public async Task<IReadOnlyList<OrderChangeResult>> ChangeAsync(IReadOnlyList<OrderChange> changes, CancellationToken cancellationToken)
        {
            bool isFirst;
            lock (_batchSizes)
            {
                _batchSizes.Add(changes.Count);
                isFirst = _batchSizes.Count == 1;
            }
            if (isFirst)
            {
                _firstArrived.TrySetResult();
                await _firstReleased.Task;
            }
            if (changes.Any(change => change.OrderId == FailingOrder))
            {
                throw new InvalidOperationException("The batch did not commit.");
            }
            return [.. changes.Select(change => new OrderChangeResult(OutcomeOf((int)change.OrderId), CancelOutcome.NotFound, null))];
        }

        public Task<IReadOnlyList<OrderWrite>> WriteAsync(IReadOnlyList<Stock.Reservation> batch, TimeSpan paymentTimeout, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public Task<Order?> FindAsync(long orderId, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyList<Order>> FindManyAsync(IReadOnlyCollection<long> orderIds, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyList<EndedOrder>> ExpireDueAsync(int limit, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<SaleOrderCounts> CountAsync(long saleId, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyDictionary<long, long>> SoldCountersAsync(IReadOnlyCollection<long> saleIds, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<IReadOnlySet<long>> EndedAmongAsync(IReadOnlyCollection<long> saleIds, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<SaleTally> TallyAsync(long saleId, int shardId, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task RepairSoldAsync(long saleId, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyDictionary<long, long>> ListBuyersAsync(long saleId, int shardId, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public Task<IReadOnlySet<long>> FindWrittenAsync(IReadOnlyCollection<long> orderIds, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public Task<long> MaxOrderIdAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task PingAsync(CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
