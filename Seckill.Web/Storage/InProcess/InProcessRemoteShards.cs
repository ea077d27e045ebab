using System.Collections.Concurrent;
using Seckill.Web.Cluster;
using Seckill.Web.Stock;

namespace Seckill.Web.Storage.InProcess;

/// <summary>
/// Shards in the same process, found by name: none in embedded mode (a cluster of one); the
/// allocator's simulation registers its instances' shards here.
/// </summary>
public sealed class InProcessRemoteShards : IRemoteShards
{
    private readonly ConcurrentDictionary<string, IStockShard> _shards = new();

    public bool Enabled => !_shards.IsEmpty;

    /// <summary>Makes <paramref name="shard"/> reachable at <paramref name="endpoint"/>.</summary>
    public void Register(string endpoint, IStockShard shard) => _shards[endpoint] = shard;

    public Task<IStockShard> OpenAsync(int shardId, string endpoint) =>
        _shards.TryGetValue(endpoint, out var shard)
            ? Task.FromResult(shard)
            : throw new StockUnavailableException($"No shard at {endpoint} in this process.");

    public Task CloseAsync(string endpoint) => Task.CompletedTask;
}
