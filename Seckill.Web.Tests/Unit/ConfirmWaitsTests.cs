using Microsoft.Extensions.Time.Testing;
using Seckill.Web.Orders;
using Seckill.Web.Stock;

namespace Seckill.Web.Tests.Unit;

/// <summary>
/// The buyers' short wait for their order's write (<c>Orders:ConfirmWaitMs</c>): every waiting
/// buyer is answered, written or still queued, by one timer shared by all of them.
/// </summary>
public class ConfirmWaitsTests
{
    // How long a test waits for an answer before failing; the waits themselves are milliseconds.
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task AnOrderWrittenWithinTheWaitIsAnsweredWritten()
    {
        using var waits = new ConfirmWaits(TimeSpan.FromMinutes(10), TimeProvider.System);
        var pending = Pending(1);
        var answer = waits.WaitAsync(pending).AsTask();

        pending.Complete(Committed(pending));

        Assert.True(await answer.WaitAsync(Deadline));
        Assert.True(pending.Write.Committed);
    }

    [Fact]
    public async Task AnOrderNotWrittenIsAnsweredQueuedWhenTheWaitRunsOut()
    {
        using var waits = new ConfirmWaits(TimeSpan.FromMilliseconds(20), TimeProvider.System);
        var pending = Pending(1);

        Assert.False(await waits.WaitAsync(pending).AsTask().WaitAsync(Deadline));
        Assert.False(pending.IsWritten);
        // Written later all the same: the 202's poll finds it.
        pending.Complete(Committed(pending));
        Assert.True(pending.Write.Committed);
    }

    [Fact]
    public async Task WithoutAWaitTheAnswerIsWhatIsAlreadyWritten()
    {
        using var waits = new ConfirmWaits(TimeSpan.Zero, TimeProvider.System);
        var written = Pending(1);
        written.Complete(Committed(written));

        Assert.True(await waits.WaitAsync(written));
        Assert.False(await waits.WaitAsync(Pending(2)));
    }

    [Fact]
    public async Task ThousandsOfBuyersWaitingAtOnceAreAllAnsweredInWaves()
    {
        using var waits = new ConfirmWaits(TimeSpan.FromMilliseconds(5), TimeProvider.System);
        var id = 0L;
        // Waves: the queue empties between them (every wait answered), so each wave must arm
        // the timer again; within a wave, buyers queue while sweeps run.
        for (var wave = 0; wave < 3; wave++)
        {
            var buyers = Enumerable.Range(0, 2_000).Select(_ => Pending(++id)).ToArray();
            var answers = await Task.WhenAll(buyers.Select((pending, i) => Task.Run(async () =>
            {
                var answer = waits.WaitAsync(pending);
                // The writer gets to every other order, at any point of its wait.
                if (i % 2 == 0)
                {
                    pending.Complete(Committed(pending));
                }
                return await answer;
            }))).WaitAsync(Deadline);

            for (var i = 0; i < buyers.Length; i++)
            {
                // Answered written only if it was; a written one may still have been answered
                // queued (its wait ran out first), an unwritten one never written.
                Assert.True(!answers[i] || buyers[i].IsWritten);
                if (i % 2 == 1)
                {
                    Assert.False(answers[i]);
                }
            }
        }
    }

    [Fact]
    public void AWaitEndingJustAfterAnotherIsAnsweredByItsEndNotLater()
    {
        var clock = new FakeTimeProvider();
        using var waits = new ConfirmWaits(TimeSpan.FromMilliseconds(100), clock);
        var (first, second) = OneWaitingAfterAnother(waits, clock, TimeSpan.FromMilliseconds(5));

        clock.Advance(TimeSpan.FromMilliseconds(95));
        Assert.True(first.Answered);
        clock.Advance(TimeSpan.FromMilliseconds(5));
        // "Wait up to Orders:ConfirmWaitMs": the second buyer is not kept past its own end
        // because the timer last fired for the first one.
        Assert.True(second.Answered);
        Assert.False(second.IsWritten);
    }

    [Fact]
    public void AWaitEndingLaterThanTheSlackIsNotCutShort()
    {
        var clock = new FakeTimeProvider();
        using var waits = new ConfirmWaits(TimeSpan.FromMilliseconds(100), clock);
        var (first, second) = OneWaitingAfterAnother(waits, clock, TimeSpan.FromMilliseconds(20));

        clock.Advance(TimeSpan.FromMilliseconds(79));
        Assert.False(first.Answered);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(first.Answered);
        // Ends 20 ms after the first, more than the slack: still waiting for its write.
        Assert.False(second.Answered);
        clock.Advance(TimeSpan.FromMilliseconds(20));
        Assert.True(second.Answered);
    }

    /// <summary>
    /// Two buyers waiting, the second one <paramref name="later"/> than the first. The tests wait
    /// 100 ms, so the shared timer's slack is 10 ms.
    /// </summary>
    private static (PendingOrder First, PendingOrder Second) OneWaitingAfterAnother(ConfirmWaits waits, FakeTimeProvider clock, TimeSpan later)
    {
        var first = Pending(1);
        _ = waits.WaitAsync(first);
        clock.Advance(later);
        var second = Pending(2);
        _ = waits.WaitAsync(second);
        return (first, second);
    }

    private static PendingOrder Pending(long orderId) =>
        new(new Reservation(orderId, SaleId: 1, UserId: orderId, Quantity: 1, AmountCents: 100, CreatedAtMs: 0, ShardId: 1), orderId);

    private static OrderWrite Committed(PendingOrder pending) => new(pending.Reservation, Committed: true, RefusalCode: null);
}
