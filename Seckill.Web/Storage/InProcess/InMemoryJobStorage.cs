using Hangfire;
using Hangfire.InMemory;
using Seckill.Web.Jobs;

namespace Seckill.Web.Storage.InProcess;

/// <summary>
/// Embedded mode: the jobs in memory. The jobs keep nothing that matters between runs (each finds
/// its work in the database), so the history a restart loses is only the dashboard's.
/// </summary>
public sealed class InMemoryJobStorage : IJobStorageSource
{
    public JobStorage Create() => new InMemoryStorage(new InMemoryStorageOptions());
}
