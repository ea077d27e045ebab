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
            // Keeps 400 items queued until the probe has seen them, each holding its thread
            // for 5 ms without using the CPU: work waits far longer than 10 ms for a thread, and the
            // rest of the machine is not starved meanwhile.
            using var flooding = new CancellationTokenSource();
            var pending = 0;
            var flood = Task.Run(async () =>
            {
                while (!flooding.IsCancellationRequested)
                {
                    while (Volatile.Read(ref pending) < 400)
                    {
                        Interlocked.Increment(ref pending);
                        ThreadPool.UnsafeQueueUserWorkItem<object?>(_ =>
                        {
                            Thread.Sleep(5);
                            Interlocked.Decrement(ref pending);
                        }, null, preferLocal: false);
                    }
                    await Task.Yield();
                }
            });
            try
            {
                await Eventually.TrueAsync(() => Task.FromResult(shedder.Overloaded), "a standing queue is overload");
            }
            finally
            {
                await flooding.CancelAsync();
                await flood;
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
