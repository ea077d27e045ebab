using System.Collections.Concurrent;

namespace Seckill.Web.Orders;

/// <summary>
/// A buyer's read of a stored order, in one of the <see cref="DatabaseSlots"/>. The reads waiting
/// for a slot go to the database together: whoever gets a slot reads every order waiting then (up
/// to <see cref="MaxBatch"/>) in one statement, and answers each waiting buyer with their row.
/// </summary>
/// <remarks>
/// Once a sale's order writer falls behind, thousands of buyers answered 202 poll their orders in
/// the same seconds. One statement per poll, <c>Orders:DatabaseConcurrency</c> at a time, made a
/// poll wait 1.7–5 s at its median (clustered, 7,500–10,000 buyers a second) while MySQL, the
/// driver and the mapping worked on each row separately (BENCHMARKS.md section 28). Every read is still of the
/// database as it is then: nothing is cached, a batch only shares the round trip.
/// </remarks>
public sealed class OrderReads(IOrderStore store, DatabaseSlots database)
{
    /// <summary>The most orders one statement reads.</summary>
    public const int MaxBatch = 500;

    private readonly ConcurrentQueue<Lookup> _waiting = new();

    /// <summary>Reads not yet taken into a statement (for tests).</summary>
    public int Waiting => _waiting.Count;

    public async Task<Order?> FindAsync(long orderId, CancellationToken cancellationToken)
    {
        var lookup = new Lookup(orderId);
        _waiting.Enqueue(lookup);
        // Usually the first turn takes it (or someone else's turn did, meanwhile). A turn that finds
        // more than MaxBatch ahead of it reads those, and this buyer takes another turn.
        while (!lookup.Taken)
        {
            await database.RunAsync(_ => ReadWaitingAsync(), cancellationToken);
        }
        return await lookup.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Reads what is waiting, in one statement; every read it took is answered, with its row or with the failure.</summary>
    private async Task<int> ReadWaitingAsync()
    {
        var batch = new List<Lookup>();
        while (batch.Count < MaxBatch && _waiting.TryDequeue(out var lookup))
        {
            lookup.Taken = true;
            batch.Add(lookup);
        }
        if (batch.Count == 0)
        {
            return 0;
        }
        try
        {
            // Not the caller's token: the statement answers the other buyers too (a command timeout bounds it).
            var found = (await store.FindManyAsync(batch.Select(lookup => lookup.OrderId).ToList(), CancellationToken.None))
                .ToDictionary(order => order.Id);
            foreach (var lookup in batch)
            {
                lookup.TrySetResult(found.GetValueOrDefault(lookup.OrderId));
            }
        }
        catch (Exception e)
        {
            foreach (var lookup in batch)
            {
                lookup.TrySetException(e);
            }
        }
        return batch.Count;
    }

    private sealed class Lookup(long orderId) : TaskCompletionSource<Order?>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        private volatile bool _taken;

        public long OrderId => orderId;

        /// <summary>In a statement: it will be answered.</summary>
        public bool Taken
        {
            get => _taken;
            set => _taken = value;
        }
    }
}
