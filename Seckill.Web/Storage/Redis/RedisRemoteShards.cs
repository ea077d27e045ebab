using System.Collections.Concurrent;
using Seckill.Web.Cluster;
using Seckill.Web.Stock;
using StackExchange.Redis;

namespace Seckill.Web.Storage.Redis;

/// <summary>
/// Other instances' shards, each reached through its own connection to the address its instance
/// announces (the instance's <c>Redis:Shard</c> setting), under this cluster's key prefix.
/// </summary>
/// <remarks>
/// A connection is made on first use and kept; it connects in the background and reconnects by
/// itself, so an unreachable shard costs a failed call (<see cref="StockUnavailableException"/>), not a stuck one.
/// </remarks>
public sealed class RedisRemoteShards(RedisConnections redis) : IRemoteShards, IDisposable
{
    private readonly ConcurrentDictionary<string, ConnectionMultiplexer> _connections = new();

    public bool Enabled => true;

    public async Task<IStockShard> OpenAsync(int shardId, string endpoint)
    {
        if (!_connections.TryGetValue(endpoint, out var connection))
        {
            var config = ConfigurationOptions.Parse(endpoint);
            config.AbortOnConnectFail = false;
            config.ConnectTimeout = 2000;
            connection = await ConnectionMultiplexer.ConnectAsync(config);
            if (!_connections.TryAdd(endpoint, connection))
            {
                connection.Dispose();
                connection = _connections[endpoint];
            }
        }
        var database = connection.GetDatabase();
        return new RedisStockShard(shardId, () => database, () => redis.KeyPrefix, remote: true);
    }

    public async Task CloseAsync(string endpoint)
    {
        if (_connections.TryRemove(endpoint, out var connection))
        {
            await connection.CloseAsync();
        }
    }

    public void Dispose()
    {
        foreach (var connection in _connections.Values)
        {
            connection.Dispose();
        }
    }
}
