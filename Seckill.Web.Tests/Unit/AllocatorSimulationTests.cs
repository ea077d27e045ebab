namespace Seckill.Web.Tests.Unit;

/// <summary>
/// Runs the allocator's deterministic simulation (<see cref="AllocatorSimulation"/>) over many
/// seeds. CI runs a bounded number; <c>SECKILL_SIM_RUNS=100000</c> runs more on demand, and
/// <c>SECKILL_SIM_SEED=N</c> replays one seed (the number a failure prints).
/// </summary>
public sealed class AllocatorSimulationTests
{
    private static int Runs => int.TryParse(Environment.GetEnvironmentVariable("SECKILL_SIM_RUNS"), out var runs) ? runs : 2000;

    [Fact]
    public async Task ThousandsOfSeededRunsKeepEveryUnitAndEveryOrder()
    {
        if (int.TryParse(Environment.GetEnvironmentVariable("SECKILL_SIM_SEED"), out var only))
        {
            await AllocatorSimulation.Run(only);
            return;
        }
        // A fresh start each time this test runs, printed in any failure: seeds nobody picked.
        var first = Random.Shared.Next(1, int.MaxValue - Runs);
        for (var seed = first; seed < first + Runs; seed++)
        {
            await AllocatorSimulation.Run(seed);
        }
    }

    [Fact]
    public async Task ASeedReplaysTheSameRun()
    {
        // Determinism is what makes a printed seed useful: the same seed, the same outcome, twice.
        for (var seed = 1; seed <= 20; seed++)
        {
            var first = await Outcome(seed);
            Assert.Equal(first, await Outcome(seed));
        }
    }

    private static async Task<string> Outcome(int seed)
    {
        try
        {
            await AllocatorSimulation.Run(seed);
            return "ok";
        }
        catch (AllocatorSimulation.SimulationFailed e)
        {
            return e.Message;
        }
    }
}
