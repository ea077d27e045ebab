using System.ComponentModel.DataAnnotations;

namespace Seckill.Web.Cluster;

/// <summary>Section <c>Cluster</c>: how instances judge each other.</summary>
public sealed class ClusterOptions
{
    public const string Section = "Cluster";

    /// <summary>
    /// An instance whose last heartbeat is older than this is dead: its shard is reclaimed (its
    /// reservations written, its stock back to the pool). Heartbeats come every second.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:02", "01:00:00", ErrorMessage = "Cluster:DeadAfter must be between 2 seconds and 1 hour.")]
    public TimeSpan DeadAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Other instances' shards this instance keeps a connection to, at most (it may move stock from any of them).</summary>
    [Range(1, 1024, ErrorMessage = "Cluster:MaxShardConnections must be between 1 and 1024.")]
    public int MaxShardConnections { get; set; } = 64;
}
