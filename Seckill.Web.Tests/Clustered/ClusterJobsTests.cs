using Hangfire;
using Hangfire.Storage;
using Seckill.Web.Tests.Infrastructure;

namespace Seckill.Web.Tests.Clustered;

/// <summary>Two instances of one cluster share one job storage (the pool Redis): one definition, one run per occurrence.</summary>
public sealed class ClusterJobsTests
{
    [Fact]
    public async Task ARecurringJobIsDefinedOnceAndRunOncePerOccurrenceAcrossInstances()
    {
        using var store = new TestStore(StorageMode.Clustered);
        // The second instance: same MySQL and pool Redis, its own shard and id (its store's
        // other databases are not used).
        using var secondShard = new TestStore(StorageMode.Clustered);
        using var first = new SeckillFactory(store: store);
        using var second = new SeckillFactory(new Dictionary<string, string?>
        {
            ["Seckill:InstanceId"] = "1",
            ["Redis:Shard"] = secondShard.Settings["Redis:Shard"],
        }, store);
        first.CreateClient().Dispose();
        second.CreateClient().Dispose();

        var storage = first.Get<JobStorage>();
        var monitoring = storage.GetMonitoringApi();
        await Eventually.TrueAsync(() => Task.FromResult(monitoring.Servers().Count == 2), "both instances' job servers to register");
        await Eventually.TrueAsync(() => Task.FromResult(monitoring.SucceededListCount() >= 6), "six runs of the expire job");

        using var connection = storage.GetConnection();
        Assert.Equal("expire", Assert.Single(connection.GetRecurringJobs()).Id);
        // Each run is one occurrence of the schedule (Hangfire records the occurrence's time
        // on the job it creates): no occurrence ran on both instances.
        var runs = monitoring.SucceededJobs(0, 1000).Select(job => job.Key).ToList();
        var occurrences = runs.Select(id => connection.GetJobParameter(id, "Time")).ToList();
        Assert.All(occurrences, Assert.NotNull);
        Assert.Equal(occurrences.Count, occurrences.Distinct().Count());
    }
}
