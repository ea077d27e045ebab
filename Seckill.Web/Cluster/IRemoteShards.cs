using Seckill.Web.Stock;

namespace Seckill.Web.Cluster;

/// <summary>
/// Opens other instances' shards by the address they announce (<see cref="InstanceBeat.ShardEndpoint"/>),
/// to move stock out of them or to reserve on the end-game shard. The port of <see cref="ShardRouter"/>.
/// </summary>
public interface IRemoteShards
{
    /// <summary>Whether this mode has shards other than the local one at all (embedded: no).</summary>
    bool Enabled { get; }

    /// <summary>A shard reached at <paramref name="endpoint"/>; connects in the background, calls fail until it has.</summary>
    Task<IStockShard> OpenAsync(int shardId, string endpoint);

    /// <summary>Drops the connection opened for <paramref name="endpoint"/>.</summary>
    Task CloseAsync(string endpoint);
}
