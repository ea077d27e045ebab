using Hangfire;
using Hangfire.Common;
using Hangfire.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Seckill.Web.Jobs;

namespace Seckill.Web.Tests.Unit;

/// <summary>
/// The recurring jobs an instance registers when it starts: a storage that fails for a moment
/// (a reply that came too late on a starved pool) does not keep the instance from starting; a
/// storage that keeps failing, or a cron expression that is wrong, does.
/// </summary>
public sealed class RecurringJobsTests
{
    [Fact]
    public void AStorageThatTimesOutTwiceStillGetsEveryJob()
    {
        var storage = new FlakyRecurringJobs(call => call <= 2 ? new TimeoutException("no reply in 5000 ms") : null);

        Register(storage);

        Assert.Equal(["expire", "rebalance", "reclaim", "reconcile-shard-7"], storage.Registered);
        Assert.Equal(6, storage.Calls);
    }

    [Fact]
    public void AStorageThatKeepsFailingFailsTheStartAfterEveryAttempt()
    {
        var storage = new FlakyRecurringJobs(_ => new TimeoutException("no reply in 5000 ms"));

        var error = Assert.Throws<TimeoutException>(() => Register(storage));

        Assert.Equal("no reply in 5000 ms", error.Message);
        Assert.Equal(RecurringJobs.Attempts, storage.Calls);
        Assert.Empty(storage.Registered);
    }

    [Fact]
    public void AnInvalidCronExpressionFailsAtOnceNamingTheSetting()
    {
        var storage = new FlakyRecurringJobs(_ => null);

        var error = Assert.Throws<InvalidOperationException>(() => Register(storage, new JobsOptions { Rebalance = "every two seconds" }));

        Assert.StartsWith("Jobs:Rebalance is not a valid cron expression", error.Message);
        Assert.Equal(["expire"], storage.Registered);
        Assert.Equal(2, storage.Calls);
    }

    [Fact]
    public void AJobWhoseLockIsHeldKeepsItsStoredRegistrationAndTheOthersAreRegistered()
    {
        var storage = new FlakyRecurringJobs(call => call == 1 ? new DistributedLockTimeoutException("recurring-job:expire") : null);

        Register(storage);

        Assert.Equal(["rebalance", "reclaim", "reconcile-shard-7"], storage.Registered);
        Assert.Equal(4, storage.Calls);
    }

    private static void Register(FlakyRecurringJobs storage, JobsOptions? options = null) =>
        new RecurringJobs(storage, Options.Create(options ?? new JobsOptions()), NullLogger<RecurringJobs>.Instance).Register(7);

    /// <summary>
    /// Hangfire's recurring-job manager over a storage that fails the calls <c>failure</c> says
    /// (numbered from 1), and checks the cron expression as Hangfire does.
    /// </summary>
    private sealed class FlakyRecurringJobs(Func<int, Exception?> failure) : IRecurringJobManager
    {
        public int Calls { get; private set; }

        public List<string> Registered { get; } = [];

        public void AddOrUpdate(string recurringJobId, Job job, string cronExpression, RecurringJobOptions options)
        {
            Calls++;
            if (failure(Calls) is { } error)
            {
                throw error;
            }
            if (cronExpression.Split(' ').Length is < 5 or > 6 || cronExpression.Any(char.IsLetter))
            {
                throw new ArgumentException($"'{cronExpression}' is not a cron expression", nameof(cronExpression));
            }
            Registered.Add(recurringJobId);
        }

        public void Trigger(string recurringJobId) => throw new NotSupportedException();

        public void RemoveIfExists(string recurringJobId) => throw new NotSupportedException();
    }
}
