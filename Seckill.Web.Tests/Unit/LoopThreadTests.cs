using System.Collections.Concurrent;
using System.Threading.Channels;
using Seckill.Web.Orders;

namespace Seckill.Web.Tests.Unit;

/// <summary>The writers' loops come back to their own thread after every await, never to the pool's queue.</summary>
public sealed class LoopThreadTests
{
    [Fact]
    public async Task EveryStepOfTheLoopRunsOnItsOwnThread()
    {
        var channel = Channel.CreateUnbounded<int>();
        var seen = new List<string?>();
        var loop = new LoopThread("test loop").Run(async () =>
        {
            seen.Add(Thread.CurrentThread.Name);
            while (await channel.Reader.WaitToReadAsync())
            {
                seen.Add(Thread.CurrentThread.Name);
                channel.Reader.TryRead(out _);
                // Completed on a pool thread: the continuation is posted back all the same.
                await Task.Run(static () => { });
                seen.Add(Thread.CurrentThread.Name);
                await Task.Yield();
                seen.Add(Thread.CurrentThread.Name);
            }
        });
        // Written from the pool: the loop's wake-up is posted back to its thread.
        for (var i = 0; i < 20; i++)
        {
            await Task.Run(() => channel.Writer.TryWrite(i));
        }
        channel.Writer.Complete();
        await loop;

        Assert.True(seen.Count > 20);
        Assert.All(seen, name => Assert.Equal("test loop", name));
    }

    [Fact]
    public async Task TwoLoopsOfOneThreadTakeTurnsAtTheirAwaits()
    {
        // As the order writer and the payment writer: what one does between two awaits (a SQLite
        // transaction, synchronous) never runs beside what the other does.
        var shared = new LoopThread("shared loop");
        var threads = new ConcurrentDictionary<int, bool>();
        var inside = 0;
        var overlaps = 0;
        async Task LoopAsync(ChannelReader<int> reader)
        {
            while (await reader.WaitToReadAsync())
            {
                reader.TryRead(out _);
                threads[Environment.CurrentManagedThreadId] = true;
                if (Interlocked.Increment(ref inside) != 1)
                {
                    Interlocked.Increment(ref overlaps);
                }
                Thread.SpinWait(20_000);
                Interlocked.Decrement(ref inside);
                await Task.Run(static () => { });
            }
        }
        var first = Channel.CreateUnbounded<int>();
        var second = Channel.CreateUnbounded<int>();
        var loops = new[] { shared.Run(() => LoopAsync(first.Reader)), shared.Run(() => LoopAsync(second.Reader)) };

        await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(() => (i % 2 == 0 ? first : second).Writer.TryWrite(i))));
        first.Writer.Complete();
        second.Writer.Complete();
        await Task.WhenAll(loops);

        Assert.Single(threads);
        Assert.Equal(0, overlaps);
    }

    [Fact]
    public async Task TheLoopsFailureIsTheTasks()
    {
        var loop = new LoopThread("failing loop").Run(async () =>
        {
            await Task.Yield();
            throw new InvalidOperationException("broken");
        });

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => loop);
        Assert.Equal("broken", error.Message);
    }
}
