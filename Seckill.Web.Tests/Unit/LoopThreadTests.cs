using System.Threading.Channels;
using Seckill.Web.Orders;

namespace Seckill.Web.Tests.Unit;

/// <summary>The order writer's loop comes back to its own thread after every await, never to the pool's queue.</summary>
public sealed class LoopThreadTests
{
    [Fact]
    public async Task EveryStepOfTheLoopRunsOnItsOwnThread()
    {
        var channel = Channel.CreateUnbounded<int>();
        var seen = new List<string?>();
        var loop = LoopThread.Run("test loop", async () =>
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
    public async Task TheLoopsFailureIsTheTasks()
    {
        var loop = LoopThread.Run("failing loop", async () =>
        {
            await Task.Yield();
            throw new InvalidOperationException("broken");
        });

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => loop);
        Assert.Equal("broken", error.Message);
    }
}
