using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Seckill.Web.Cluster;
using Seckill.Web.Stock;

namespace Seckill.Web.Orders;

/// <summary>
/// Turns reservations into orders: drains them from an in-process channel in batches (bounded by
/// <see cref="OrderOptions.BatchSize"/> and <see cref="OrderOptions.BatchWindowMs"/>), writes each
/// batch in one database transaction, then confirms the committed ones on the shard and returns
/// the stock of refused ones. Database errors are retried with backoff; nothing is dropped.
/// </summary>
/// <remarks>
/// Many producers (purchase requests), one consumer (this loop). On shutdown it stops taking new
/// reservations and drains what is queued before the host stops. Measured on meter
/// <c>Seckill.Orders</c>: <c>seckill.orders.queue.depth</c> (reservations waiting for a batch) and
/// <c>seckill.orders.batch.size</c> (orders per transaction).
/// </remarks>
public sealed partial class OrderWriter(
    IOrderStore store, IShardRouter shards, Restock restock, IOrderEvents events, IOptions<OrderOptions> options, IMeterFactory meters,
    WriterThreads threads, ILogger<OrderWriter> log)
    : BackgroundService
{
    private static readonly UnboundedChannelOptions QueueOptions = new() { SingleReader = true, SingleWriter = false };
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);
    private const string MeterName = "Seckill.Orders";

    private readonly OrderOptions _options = options.Value;
    private readonly Channel<PendingOrder> _queue = Channel.CreateUnbounded<PendingOrder>(QueueOptions);
    // Reservations in the queue: a single-reader unbounded channel does not count them itself.
    private readonly StrongBox<int> _queued = CountedInGauge(meters, new StrongBox<int>());
    private readonly Histogram<int> _batchSizes = meters.Create(MeterName).CreateHistogram<int>("seckill.orders.batch.size", "{order}",
        "Orders written per database transaction.", advice: new() { HistogramBucketBoundaries = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000] });
    private readonly ConcurrentDictionary<long, PendingOrder> _pending = new();
    // Cancelled only when the host gives up waiting for the drain (its shutdown timeout).
    private readonly CancellationTokenSource _abandon = new();
    // Held while a batch is written and settled, and by ShardRecovery while it reads the truth:
    // it then sees every reservation either written and settled, or still pending here. The
    // writer's loop keeps it across back-to-back batches; others waiting for it are counted, so
    // the loop hands it over between two batches.
    private readonly SemaphoreSlim _settling = new(1, 1);
    private int _othersWaitingToSettle;

    // When the first order of the batch being written was queued; 0 between batches.
    private long _oldestUnwrittenAt;
    // The last write or settle failed (a store is away) and is being retried.
    private volatile bool _failing;
    private long _enqueued;
    private long _written;
    private long _retries;
    // Smoothed cost of one order in milliseconds, measured on real batches; feeds the 202's etaMs.
    private double _msPerOrder = 1;

    /// <summary>Queues a reservation; false once the writer is shutting down.</summary>
    public bool TryEnqueue(Reservation reservation, out PendingOrder pending)
    {
        pending = new PendingOrder(reservation, Interlocked.Increment(ref _enqueued));
        _pending[reservation.OrderId] = pending;
        // Counted before it can be read, so the count never dips below zero.
        Interlocked.Increment(ref _queued.Value);
        if (_queue.Writer.TryWrite(pending))
        {
            return true;
        }
        Interlocked.Decrement(ref _queued.Value);
        _pending.TryRemove(reservation.OrderId, out _);
        return false;
    }

    /// <summary>The gauge of the queue's depth: reservations waiting to be taken into a batch.</summary>
    private static StrongBox<int> CountedInGauge(IMeterFactory meters, StrongBox<int> queued)
    {
        meters.Create(MeterName).CreateObservableGauge("seckill.orders.queue.depth", () => Volatile.Read(ref queued.Value), "{reservation}",
            "Reservations queued for the order writer and not yet in a batch.");
        return queued;
    }

    /// <summary>Database or stock store failures retried since the process started (a store was away).</summary>
    public long Retries => Interlocked.Read(ref _retries);

    /// <summary>The queued order with this id, if it is still waiting to be written.</summary>
    public bool TryGetPending(long orderId, out PendingOrder pending) => _pending.TryGetValue(orderId, out pending!);

    /// <summary>
    /// The buyer's reservations queued here and not yet written. Enumerates the table without its
    /// locks (the purchases keep writing to it meanwhile): a moment's snapshot, which is all a listing needs.
    /// </summary>
    public IReadOnlyList<Reservation> PendingOf(long userId)
    {
        var found = new List<Reservation>();
        foreach (var (_, pending) in _pending)
        {
            if (pending.Reservation.UserId == userId)
            {
                found.Add(pending.Reservation);
            }
        }
        return found;
    }

    /// <summary>The reservations of <paramref name="shardId"/> queued here and not yet written.</summary>
    public IReadOnlyList<Reservation> PendingOn(int shardId) =>
        _pending.Values.Select(pending => pending.Reservation).Where(reservation => reservation.ShardId == shardId).ToList();

    /// <summary>
    /// Waits until no batch is being written or settled, and keeps it so until the returned handle
    /// is disposed: what is not written by then stays in <see cref="PendingOn"/>.
    /// </summary>
    public async Task<IDisposable> PauseAsync(CancellationToken cancellationToken)
    {
        await TakeSettlingAsync(cancellationToken);
        return new Paused(_settling);
    }

    /// <summary>Waits for <see cref="_settling"/>, letting the writer's loop know it should hand it over.</summary>
    private async Task TakeSettlingAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _othersWaitingToSettle);
        try
        {
            await _settling.WaitAsync(cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _othersWaitingToSettle);
        }
    }

    private sealed class Paused(SemaphoreSlim settling) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                settling.Release();
            }
        }
    }

    /// <summary>
    /// Whether the writer is slow: the oldest order not yet written (the first of the batch being
    /// written) has waited longer than <paramref name="ticks"/> (<see cref="Stopwatch"/> ticks) while
    /// its writes succeed. Measured rather than estimated, so that a batch still in flight counts.
    /// A writer retrying because a store is away is not slow: its orders wait for the store, and
    /// buyers go on being queued (202), durable in the shard, as the outage design says (README,
    /// "What survives which loss"). Two reads and one timestamp, for the purchase path.
    /// </summary>
    public bool OldestWaitedLongerThan(long ticks)
    {
        var since = Volatile.Read(ref _oldestUnwrittenAt);
        return since != 0 && !_failing && Stopwatch.GetTimestamp() - since > ticks;
    }

    /// <summary>How many orders are ahead of this one (itself included) and a time estimate from the measured rate.</summary>
    public (long Position, long EtaMs) PositionOf(PendingOrder pending)
    {
        var position = Math.Max(1, pending.Sequence - Volatile.Read(ref _written));
        return (position, (long)Math.Ceiling(position * Volatile.Read(ref _msPerOrder)));
    }

    /// <summary>The loop runs on its own thread (<see cref="WriterThreads"/>), not queued behind the requests.</summary>
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => threads.Orders.Run(() => WriteBatchesAsync(stoppingToken));

    /// <remarks>
    /// A batch's settling (its confirmation on the shard, one Redis call) runs while the next batch
    /// is written: its buyers were answered at the commit, and the loop was otherwise idle for that
    /// call, about a fifth of each batch's time in a clustered sale's selling seconds (BENCHMARKS.md
    /// section 37). One settling in flight at a time, in batch order; <see cref="_settling"/> is
    /// held from the first batch of a run of them until the last one's settling is done, and handed
    /// over between two batches to whoever waits for it (<see cref="PauseAsync"/>, <see cref="CommitAsync"/>).
    /// </remarks>
    private async Task WriteBatchesAsync(CancellationToken stoppingToken)
    {
        var reader = _queue.Reader;
        Task<bool>? settling = null;
        var held = false;
        try
        {
            // The loop ends when the channel is completed (shutdown) and empty, not on stoppingToken:
            // queued reservations are acknowledged purchases and get written first.
            while (await reader.WaitToReadAsync(CancellationToken.None))
            {
                var batch = new List<PendingOrder>(Math.Min(_options.BatchSize, Volatile.Read(ref _queued.Value) + 1));
                Fill(reader, batch);
                Volatile.Write(ref _oldestUnwrittenAt, batch.Count > 0 ? batch[0].QueuedAt : 0);
                if (batch.Count < _options.BatchSize && _options.BatchWindowMs > 0 && !stoppingToken.IsCancellationRequested)
                {
                    await Task.Delay(_options.BatchWindowMs, CancellationToken.None);
                    Fill(reader, batch);
                }
                if (!held)
                {
                    if (!await TrySettlingAsync())
                    {
                        LogAbandoned(batch.Count + Volatile.Read(ref _queued.Value));
                        return;
                    }
                    held = true;
                }
                var reservations = Reservations(batch);
                // The buyers whose orders committed are answered as soon as the transaction is: a
                // 201 means committed (ARCHITECTURE §4), and confirming their reservations on the
                // shard is the writer's bookkeeping, which they need not wait for.
                var writes = await WriteStepAsync(reservations);
                if (writes is not null)
                {
                    AnswerBuyers(batch, writes, committed: true);
                }
                Volatile.Write(ref _oldestUnwrittenAt, 0);
                // The previous batch's settling ends before this one's starts: one at a time, in order.
                var previousSettled = settling is null || await settling;
                settling = null;
                if (writes is null || !previousSettled)
                {
                    LogAbandoned(batch.Count + Volatile.Read(ref _queued.Value));
                    return;
                }
                settling = SettleBatchAsync(batch, writes);
                if (Volatile.Read(ref _queued.Value) == 0 || Volatile.Read(ref _othersWaitingToSettle) > 0)
                {
                    var settled = await settling;
                    settling = null;
                    _settling.Release();
                    held = false;
                    if (!settled)
                    {
                        LogAbandoned(Volatile.Read(ref _queued.Value));
                        return;
                    }
                }
            }
            // Shutdown: the queue is drained; the last batch's settling may still be in flight.
            if (settling is not null && !await settling)
            {
                LogAbandoned(0);
            }
            settling = null;
        }
        finally
        {
            if (held)
            {
                // Also when the loop failed: its settling in flight ends before anyone else takes over.
                if (settling is not null)
                {
                    await ((Task)settling).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
                }
                _settling.Release();
            }
        }
    }

    /// <summary>
    /// Takes <see cref="_settling"/>; false if the host gave up waiting (shutdown timeout). The loop
    /// reads who waits only while it holds it, after its own wait has left the count.
    /// </summary>
    private async Task<bool> TrySettlingAsync()
    {
        try
        {
            await TakeSettlingAsync(_abandon.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Settles a written batch and answers its refused buyers once their units are back; false if abandoned at shutdown.</summary>
    private async Task<bool> SettleBatchAsync(List<PendingOrder> batch, IReadOnlyList<OrderWrite> writes)
    {
        if (await SettleStepAsync(writes) is not { } settled)
        {
            return false;
        }
        AnswerBuyers(batch, settled, committed: false);
        Interlocked.Add(ref _written, batch.Count);
        _batchSizes.Record(batch.Count);
        return true;
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        await using var giveUp = cancellationToken.Register(_abandon.Cancel);
        await base.StopAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _abandon.Dispose();
        _settling.Dispose();
        base.Dispose();
    }

    private void Fill(ChannelReader<PendingOrder> reader, List<PendingOrder> batch)
    {
        while (batch.Count < _options.BatchSize && reader.TryRead(out var pending))
        {
            Interlocked.Decrement(ref _queued.Value);
            batch.Add(pending);
        }
    }

    private static Reservation[] Reservations(List<PendingOrder> batch)
    {
        var reservations = new Reservation[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            reservations[i] = batch[i].Reservation;
        }
        return reservations;
    }

    /// <summary>Completes the waits of the buyers whose orders committed, or of those refused; each order leaves the pending table first.</summary>
    private void AnswerBuyers(List<PendingOrder> batch, IReadOnlyList<OrderWrite> writes, bool committed)
    {
        for (var i = 0; i < batch.Count; i++)
        {
            if (writes[i].Committed != committed)
            {
                continue;
            }
            // Only now leave the pending table: a reader that misses it here finds the order in the
            // database, or (refused) its units back in stock.
            _pending.TryRemove(batch[i].Reservation.OrderId, out _);
            batch[i].Complete(writes[i]);
        }
    }

    /// <summary>
    /// Writes reservations in one transaction, then confirms the committed ones on the shard and
    /// returns the stock of refused ones. Database and stock store failures are retried with
    /// backoff (every step is idempotent by order id); null if abandoned at shutdown. Also used
    /// to replay the shard's unconfirmed reservations (<see cref="ReservationReplay"/>).
    /// </summary>
    /// <param name="written">Told what the transaction did as soon as it committed, before the batch is settled.</param>
    public async Task<IReadOnlyList<OrderWrite>?> CommitAsync(IReadOnlyList<Reservation> reservations, Action<IReadOnlyList<OrderWrite>>? written = null)
    {
        if (!await TrySettlingAsync())
        {
            return null;
        }
        try
        {
            if (await WriteStepAsync(reservations) is not { } writes)
            {
                return null;
            }
            written?.Invoke(writes);
            return await SettleStepAsync(writes);
        }
        finally
        {
            _settling.Release();
        }
    }

    /// <summary>Writes reservations in one transaction, retried until it succeeds; null if abandoned at shutdown.</summary>
    private Task<IReadOnlyList<OrderWrite>?> WriteStepAsync(IReadOnlyList<Reservation> reservations) =>
        RetryAsync(async () =>
        {
            // Only a write that succeeded is timed: an outage is not the writer's speed.
            var started = Stopwatch.GetTimestamp();
            var written = await store.WriteAsync(reservations, _options.PaymentTimeout, _abandon.Token);
            MeasureRate(reservations.Count, Stopwatch.GetElapsedTime(started));
            return written;
        }, reservations.Count);

    /// <summary>
    /// Confirms a written batch's committed reservations on their shards and returns the stock of
    /// refused ones, retried until it succeeds; null if abandoned at shutdown.
    /// </summary>
    private async Task<IReadOnlyList<OrderWrite>?> SettleStepAsync(IReadOnlyList<OrderWrite> writes)
    {
        var settled = await RetryAsync(async () =>
        {
            var committed = new List<Reservation>(writes.Count);
            foreach (var write in writes)
            {
                if (write.Committed)
                {
                    committed.Add(write.Reservation);
                }
                else
                {
                    LogRefused(write.Reservation.OrderId, write.Reservation.SaleId, write.RefusalCode);
                    await restock.ReservationRefusedAsync(write);
                }
            }
            // Each reservation is confirmed on the shard that holds it. A batch's are nearly always
            // all on one shard (this instance's, or the end game's): then one call without grouping,
            // whose growing arrays were about 2 % of what a clustered sale's selling seconds
            // allocated (BENCHMARKS.md section 31).
            if (committed.Count > 0 && committed.TrueForAll(reservation => reservation.ShardId == committed[0].ShardId))
            {
                await shards.Get(committed[0].ShardId).ConfirmAsync(committed);
            }
            else
            {
                foreach (var onShard in committed.GroupBy(reservation => reservation.ShardId))
                {
                    await shards.Get(onShard.Key).ConfirmAsync(onShard.ToList());
                }
            }
            return writes;
        }, writes.Count);
        // Told once the batch is settled (not inside the step, which may run again).
        foreach (var write in settled ?? [])
        {
            if (write.Committed)
            {
                events.Confirmed(write.Reservation.OrderId);
            }
        }
        return settled;
    }

    /// <summary>Runs <paramref name="step"/> until it succeeds; null if the host gave up waiting (shutdown timeout).</summary>
    private async Task<T?> RetryAsync<T>(Func<Task<T>> step, int count) where T : class
    {
        var backoff = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            try
            {
                var done = await step();
                _failing = false;
                return done;
            }
            catch (Exception e) when (e is DbException or StockUnavailableException)
            {
                _failing = true;
                Interlocked.Increment(ref _retries);
                LogWriteFailed(e, count, backoff.TotalMilliseconds);
            }
            catch (OperationCanceledException) when (_abandon.IsCancellationRequested)
            {
                return null;
            }
            try
            {
                await Task.Delay(backoff, _abandon.Token);
            }
            catch (OperationCanceledException)
            {
                return null;
            }
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
        }
    }

    private void MeasureRate(int orders, TimeSpan took)
    {
        var sample = Math.Max(took.TotalMilliseconds, 0.01) / orders;
        Volatile.Write(ref _msPerOrder, 0.8 * Volatile.Read(ref _msPerOrder) + 0.2 * sample);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing or settling a batch of {Count} orders failed; retrying in {BackoffMs} ms")]
    private partial void LogWriteFailed(Exception e, int count, double backoffMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The database refused order {OrderId} of sale {SaleId} ({Code})")]
    private partial void LogRefused(long orderId, long saleId, string? code);

    [LoggerMessage(Level = LogLevel.Error, Message = "Shutdown timed out with {Count} reservations not written; they are replayed or re-derived at the next start")]
    private partial void LogAbandoned(int count);
}
