namespace Seckill.Web.Cluster;

/// <summary>A live instance as the registry knows it.</summary>
public sealed record InstanceBeat(int InstanceId, string ShardEndpoint, DateTimeOffset At);

/// <summary>
/// Where instances announce themselves and learn of each other (the shared Redis in clustered
/// mode): the port of <see cref="InstanceHeartbeat"/>.
/// </summary>
public interface IInstanceRegistry
{
    /// <summary>This instance's shard, as others would reach it.</summary>
    string ShardEndpoint { get; }

    /// <summary>Records that <paramref name="instanceId"/> was alive at <paramref name="at"/>.</summary>
    Task BeatAsync(int instanceId, DateTimeOffset at);

    /// <summary>The instances whose last beat is not older than <paramref name="since"/>.</summary>
    Task<IReadOnlyList<InstanceBeat>> ListAliveSinceAsync(DateTimeOffset since);
}
