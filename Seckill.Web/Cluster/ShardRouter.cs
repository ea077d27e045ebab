using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Seckill.Web.Stock;

namespace Seckill.Web.Cluster;

/// <summary>
/// Every instance reaches its own shard, and every other instance's shard the registry announced
/// (opened on demand through <see cref="IRemoteShards"/>, at most <c>Cluster:MaxShardConnections</c>).
/// </summary>
public sealed partial class ShardRouter(IStockShard local, IRemoteShards remote, IOptions<ClusterOptions> options, ILogger<ShardRouter> log)
    : IShardRouter
{
    private readonly ConcurrentDictionary<int, (string Endpoint, IStockShard Shard)> _others = new();
    private readonly SemaphoreSlim _learning = new(1, 1);

    public IStockShard Local => local;

    public IStockShard Get(int shardId) =>
        TryGet(shardId, out var shard) ? shard : throw new StockUnavailableException($"Shard {shardId} is not known to this instance (shard {local.Id}).");

    public bool TryGet(int shardId, out IStockShard shard)
    {
        if (shardId == local.Id)
        {
            shard = local;
            return true;
        }
        if (_others.TryGetValue(shardId, out var other))
        {
            shard = other.Shard;
            return true;
        }
        shard = null!;
        return false;
    }

    public IReadOnlyCollection<IStockShard> Known => [local, .. _others.Values.Select(other => other.Shard).OrderBy(shard => shard.Id)];

    public async Task LearnAsync(IReadOnlyList<InstanceBeat> instances)
    {
        if (!remote.Enabled)
        {
            return;
        }
        await _learning.WaitAsync();
        try
        {
            foreach (var instance in instances)
            {
                if (instance.InstanceId == local.Id || instance.ShardEndpoint.Length == 0 ||
                    (_others.TryGetValue(instance.InstanceId, out var known) && known.Endpoint == instance.ShardEndpoint))
                {
                    continue;
                }
                if (known.Shard is not null)
                {
                    await remote.CloseAsync(known.Endpoint);
                }
                else if (_others.Count >= options.Value.MaxShardConnections)
                {
                    LogTooMany(instance.InstanceId, options.Value.MaxShardConnections);
                    continue;
                }
                _others[instance.InstanceId] = (instance.ShardEndpoint, await remote.OpenAsync(instance.InstanceId, instance.ShardEndpoint));
            }
        }
        finally
        {
            _learning.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shard {ShardId} not opened: already {Max} other shards are (Cluster:MaxShardConnections)")]
    private partial void LogTooMany(int shardId, int max);
}
