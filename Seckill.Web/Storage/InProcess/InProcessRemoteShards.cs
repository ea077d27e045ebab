using System.Collections.Concurrent;
using Seckill.Web.Cluster;
using Seckill.Web.Stock;

namespace Seckill.Web.Storage.InProcess;

/// <summary>
/// Shards in the same process, found by their id: none in embedded mode (a cluster of one); the
/// allocator's simulation registers its instances' shards here.
/// </summary>
public sealed class InProcessRemoteShards : IRemoteShards
{
    private readonly ConcurrentDictionary<int, IStockShard> _shards = new();

    public bool Enabled => !_shards.IsEmpty;

    /// <summary>Makes <paramref name="shard"/> reachable as shard <paramref name="shardId"/>, whatever address is announced for it.</summary>
    public void Register(int shardId, IStockShard shard) => _shards[shardId] = shard;

    public Task<IStockShard> OpenAsync(int shardId, string endpoint) =>
        _shards.TryGetValue(shardId, out var shard)
            ? Task.FromResult(shard)
            : throw new StockUnavailableException($"No shard {shardId} in this process.");

    public Task CloseAsync(string endpoint) => Task.CompletedTask;
}
