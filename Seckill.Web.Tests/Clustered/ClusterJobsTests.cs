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
        using var first = new SeckillFactory(new Dictionary<string, string?> { ["Jobs:Reconcile"] = "* * * * * *" }, store);
        using var second = new SeckillFactory(new Dictionary<string, string?>
        {
            ["Seckill:InstanceId"] = "1",
            ["Jobs:Reconcile"] = "* * * * * *",
            ["Redis:Shard"] = secondShard.Settings["Redis:Shard"],
        }, store);
        first.CreateClient().Dispose();
        second.CreateClient().Dispose();

        var storage = first.Get<JobStorage>();
        var monitoring = storage.GetMonitoringApi();
        await Eventually.TrueAsync(() => Task.FromResult(monitoring.Servers().Count == 2), "both instances' job servers to register");
        await Eventually.TrueAsync(() => Task.FromResult(monitoring.SucceededListCount() >= 6), "six runs of the expire job");

        using var connection = storage.GetConnection();
        Assert.Equal(["expire", "rebalance", "reclaim", "reconcile-shard-0", "reconcile-shard-1"], connection.GetRecurringJobs().Select(job => job.Id).Order());
        // Each run is one occurrence of one schedule (Hangfire records both on the job it
        // creates): no occurrence ran on both instances.
        var runs = monitoring.SucceededJobs(0, 1000).Select(job => job.Key).ToList();
        var occurrences = runs.Select(id => (connection.GetJobParameter(id, "RecurringJobId"), connection.GetJobParameter(id, "Time"))).ToList();
        Assert.All(occurrences, occurrence => Assert.NotNull(occurrence.Item2));
        Assert.Equal(occurrences.Count, occurrences.Distinct().Count());
        // A shard's reconcile ran on the instance that holds the shard, and only there.
        var reconciles = runs.Where(id => connection.GetJobParameter(id, "RecurringJobId") is { } job && job.StartsWith("\"reconcile", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(reconciles);
        foreach (var id in reconciles)
        {
            var shard = connection.GetJobParameter(id, "RecurringJobId").Trim('"')["reconcile-shard-".Length..];
            var processedBy = monitoring.JobDetails(id).History.Single(state => state.StateName == "Processing").Data["ServerId"];
            Assert.StartsWith($"seckill-{shard}-", processedBy);
        }
    }
}
