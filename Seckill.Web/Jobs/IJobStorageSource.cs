using Hangfire;

namespace Seckill.Web.Jobs;

/// <summary>
/// Where the job engine (Hangfire) keeps its queues, schedules and history: the storage of each
/// mode provides it (the pool Redis clustered, memory embedded). Asked once, after the storage's
/// startup has connected.
/// </summary>
public interface IJobStorageSource
{
    JobStorage Create();
}
