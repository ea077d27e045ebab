using Hangfire;
using Microsoft.Extensions.Options;
using Seckill.Web.Allocation;
using Seckill.Web.Cluster;
using Seckill.Web.Orders;
using Seckill.Web.Stock;

namespace Seckill.Web.Jobs;

/// <summary>What one run of the reclaim job did (shown as the job's result in the dashboard).</summary>
public sealed record ReclaimResult(IReadOnlyList<InstanceReclaim> Reclaimed);

/// <summary>
/// Reclaims the shards of dead instances (ARCHITECTURE §3, "Instances and jobs"): an instance whose
/// heartbeat is older than <c>Cluster:DeadAfter</c> loses its shard (<see cref="Reclaimer"/>), so that
/// its stock is sold by the others. Runs every second on one instance of the cluster.
/// </summary>
public sealed class ReclaimJob(Reclaimer reclaimer, OrderWriter writer, IOptions<OrderOptions> orderOptions)
{
    public const string Id = "reclaim";

    // No DisableConcurrentExecution: its lock outlives a holder killed mid-run by up to 30 s, and
    // the instance killed is the very one whose reclaim must not wait. Runs may overlap: each
    // reclaim of an instance takes that instance's ReclaimLock, without waiting for it.
    [AutomaticRetry(Attempts = 0)]
    public async Task<ReclaimResult> RunAsync(CancellationToken cancellationToken) =>
        new(await reclaimer.ReclaimDeadAsync(WriteAsync, cancellationToken));

    /// <summary>The dead shard's reservations, written by this instance's order writer (which confirms them on that shard).</summary>
    private async Task<int> WriteAsync(IReadOnlyList<Reservation> reservations)
    {
        var written = 0;
        foreach (var chunk in reservations.Chunk(orderOptions.Value.BatchSize))
        {
            var writes = await writer.CommitAsync(chunk) ?? throw new OperationCanceledException("The host is stopping; the next run finishes the reclaim.");
            written += writes.Count(write => write.Committed);
        }
        return written;
    }
}
