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

    /// <summary>Seeds that once failed, replayed on every run.</summary>
    [Theory]
    // A restarted instance's buyer gathered stock for an end game on a shard it did not know yet:
    // the units left their shard and stayed in transit, and the last buyers were told sold out
    // (21 of 354 stranded). The destination is now looked up before anything is withdrawn.
    [InlineData(1674903207)]
    // The simulation's own end: its instances beat once each after the clock jumped, so the first
    // did not know a shard whose instance came back just before the end, and its last rebalance
    // failed on that shard's end game (a periodic heartbeat learns it within a beat).
    [InlineData(610726894)]
    // A reclaim of a dead instance left its move into another dead instance's shard in transit:
    // the reclaimer had restarted since that instance last beat, so it did not know the shard and
    // could not land the unit (on sale nowhere until a periodic resume found it). The reclaimer
    // now opens the shard at a move's other end from its last beat.
    [InlineData(149559377)]
    // An instance restarted after another died claimed the sale's end game and was handed the dead
    // instance's shard, reclaimed since, which it had never met: it took it for not reclaimed and
    // gathered stock there (found once an empty refill marked the sale sold out itself). An end
    // game's shard that is not known is now opened from its last beat before it is judged.
    [InlineData(708158797)]
    public Task SeedsThatOnceFailedPass(int seed) => AllocatorSimulation.Run(seed);

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
