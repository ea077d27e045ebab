using Microsoft.Extensions.Options;
using Seckill.Web.Gate;
using Seckill.Web.Tests.Infrastructure;

namespace Seckill.Web.Tests.Unit;

/// <summary>
/// The probe on this process's real thread pool: a standing queue of work makes the instance
/// overloaded, and the pool at rest does not (the decision itself is <see cref="LoadShedderTests"/>'s).
/// </summary>
[Collection(ThreadPoolHeld.Name)]
public sealed class QueueDelayProbeTests
{
    [Fact]
    public async Task AStandingQueueInThePoolIsOverloadAndThePoolAtRestIsNot()
    {
        var options = Options.Create(new OverloadOptions { TargetDelayMs = 10, IntervalMs = 100, ProbeEveryMs = 5 });
        var shedder = new LoadShedder(options);
        var probe = new QueueDelayProbe(shedder, options);
        await probe.StartAsync(CancellationToken.None);
        try
        {
            // More items than the pool has threads, each holding its thread (without CPU) until
            // released: the queue stands behind them, and the probe's own item with it.
            using var release = new ManualResetEventSlim();
            var pending = 0;
            for (var i = 0; i < 256; i++)
            {
                Interlocked.Increment(ref pending);
                ThreadPool.UnsafeQueueUserWorkItem<object?>(_ =>
                {
                    release.Wait();
                    Interlocked.Decrement(ref pending);
                }, null, preferLocal: false);
            }
            try
            {
                // Waited for on this thread, with a deadline: the pool's threads are the ones held.
                Assert.True(SpinWait.SpinUntil(() => shedder.Overloaded, TimeSpan.FromSeconds(30)), "a standing queue was not seen as overload");
            }
            finally
            {
                release.Set();
            }

            // The queue drains and the pool rests: the next interval's samples are short.
            await Eventually.TrueAsync(() => Task.FromResult(Volatile.Read(ref pending) == 0 && !shedder.Overloaded),
                "the pool at rest is not overload");
        }
        finally
        {
            await probe.StopAsync(CancellationToken.None);
        }
    }
}

/// <summary>Tests that hold the process's thread pool on purpose run alone: no other test waits behind them.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ThreadPoolHeld
{
    public const string Name = "the thread pool held on purpose";
}
