namespace Seckill.Web.Orders;

/// <summary>
/// Where the writers' loops run: the order writer's on a thread of its own (<see cref="LoopThread"/>);
/// the payment writer's on that same thread when the database has one write lock (SQLite), and on
/// the thread pool (<c>null</c>) when it has row locks (MySQL).
/// </summary>
/// <remarks>
/// On one thread, with SQLite's calls completing synchronously, one writer's transaction runs from
/// <c>BEGIN</c> to commit before the other's next step, so the two never wait for each other in
/// SQLite's busy handler (it retries after 1, 2, 5, 10 ms…): the order writer spent a third of a
/// sale's selling seconds there while half the winners paid (BENCHMARKS.md section 20). MySQL's
/// transactions overlap and their continuations would only queue behind each other on one thread.
/// The storage, which knows its database, registers them (<c>Storage/StorageSetup</c>).
/// </remarks>
public sealed record WriterThreads(LoopThread Orders, LoopThread? Payments)
{
    /// <param name="oneWriteLock">Whether every write transaction takes the whole database's one lock (SQLite).</param>
    public static WriterThreads For(bool oneWriteLock)
    {
        var orders = new LoopThread("Seckill order writer");
        return new(orders, oneWriteLock ? orders : null);
    }
}
