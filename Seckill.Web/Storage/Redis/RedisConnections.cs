using StackExchange.Redis;

namespace Seckill.Web.Storage.Redis;

/// <summary>
/// The clustered mode's two Redis connections: this instance's shard and the shared pool.
/// Connected once at startup (by the clustered storage's startup): a Redis that does not answer
/// then fails the start with a message naming its setting. After that the client reconnects by
/// itself when a Redis restarts; commands sent meanwhile fail and their callers retry or answer 503.
/// </summary>
/// <remarks>
/// Thread-safe: the multiplexers are made to be shared by every request. Every key and channel is
/// under <see cref="KeyPrefix"/>, the identity of the cluster the MySQL database belongs to: Redis
/// data left by another database (one dropped and created again, a restore) is never read as ours.
/// </remarks>
public sealed class RedisConnections(RedisSettings settings) : IDisposable
{
    private ConnectionMultiplexer? _shard;
    private ConnectionMultiplexer? _pool;
    private IDatabase? _shardDatabase;
    private IDatabase? _poolDatabase;

    public IDatabase Shard => _shardDatabase ?? throw NotConnected();

    public IDatabase Pool => _poolDatabase ?? throw NotConnected();

    public ISubscriber PoolSubscriber => (_pool ?? throw NotConnected()).GetSubscriber();

    /// <summary>The pool Redis's connection itself, for the job storage (which keeps its own keys under <see cref="KeyPrefix"/>).</summary>
    public IConnectionMultiplexer PoolMultiplexer => _pool ?? throw NotConnected();

    /// <summary><c>seckill:{cluster id}:</c>, the start of every key and channel of this cluster.</summary>
    public string KeyPrefix { get; private set; } = "";

    /// <summary>
    /// Raised when the shard's connection comes back after being lost (the Redis restarted, or the
    /// network came back): whatever it holds now may be less than it answered before.
    /// </summary>
    public event Action? ShardReconnected;

    /// <summary>
    /// Pub/sub channels belong to the whole server, not to a logical database: channel names carry
    /// the cluster's prefix (and the pool's database number), so that clusters sharing one Redis
    /// do not hear each other.
    /// </summary>
    public RedisChannel PoolChannel(string name) => RedisChannel.Literal($"{KeyPrefix}{Pool.Database}:{name}");

    /// <summary>Throws <see cref="Stock.StockUnavailableException"/> if the pool Redis does not answer.</summary>
    public async ValueTask PingPoolAsync() => await RedisCalls.Guard(Pool.PingAsync(), "pool");

    /// <summary>The shard Redis's address, as the instance announces it in its heartbeat.</summary>
    public string ShardEndpoint => settings.Shard;

    /// <summary>The id of the shard this instance owns (its instance id).</summary>
    public int ShardId => settings.ShardId;

    /// <param name="clusterId">The cluster's identity, from the MySQL database.</param>
    public async Task ConnectAsync(string clusterId)
    {
        KeyPrefix = PrefixOf(clusterId);
        if (_shard is null)
        {
            _shard = await ConnectAsync(RedisSettings.ShardKey, settings.Shard);
            _shard.ConnectionRestored += (_, e) =>
            {
                if (e.ConnectionType == ConnectionType.Interactive)
                {
                    ShardReconnected?.Invoke();
                }
            };
        }
        _shardDatabase = _shard.GetDatabase();
        _pool ??= await ConnectAsync(RedisSettings.PoolKey, settings.Pool);
        _poolDatabase = _pool.GetDatabase();
    }

    private static async Task<ConnectionMultiplexer> ConnectAsync(string key, string configuration)
    {
        var config = ConfigurationOptions.Parse(configuration);
        // Only the first connection: a Redis that is not there fails the start. Reconnecting
        // after a later restart is automatic either way.
        config.AbortOnConnectFail = true;
        try
        {
            return await ConnectionMultiplexer.ConnectAsync(config);
        }
        catch (RedisConnectionException e)
        {
            throw new InvalidOperationException($"{key}: cannot connect to Redis at '{configuration}': {e.Message}", e);
        }
    }

    /// <summary>The prefix of every key and channel of the cluster whose identity is <paramref name="clusterId"/>.</summary>
    public static string PrefixOf(string clusterId) => $"seckill:{clusterId}:";

    /// <summary>
    /// Deletes every key of this cluster (<see cref="KeyPrefix"/>) from both Redis; returns how many.
    /// Only for the startup rehearsal's twin, whose cluster is its own and ends with the rehearsal
    /// (<see cref="ClusteredRehearsalPlace"/>).
    /// </summary>
    public async Task<long> DeleteClusterKeysAsync() => KeyPrefix.Length == 0 ? 0 : await DeleteKeysAsync(KeyPrefix);

    /// <summary>
    /// Deletes, from both Redis, every key of another cluster: one whose rehearsal twin was left
    /// behind by a process that died mid-rehearsal (<see cref="ClusteredRehearsalPlace"/>); returns how many.
    /// </summary>
    public Task<long> DeleteKeysOfClusterAsync(string clusterId) => DeleteKeysAsync(PrefixOf(clusterId));

    private async Task<long> DeleteKeysAsync(string prefix)
    {
        long deleted = 0;
        foreach (var (connection, database) in new[] { (_shard, _shardDatabase), (_pool, _poolDatabase) })
        {
            if (connection is null || database is null)
            {
                continue;
            }
            foreach (var server in connection.GetServers().Where(server => server.IsConnected && !server.IsReplica))
            {
                var keys = new List<RedisKey>();
                await foreach (var key in server.KeysAsync(database.Database, prefix + "*", pageSize: 1000))
                {
                    keys.Add(key);
                }
                foreach (var chunk in keys.Chunk(1000))
                {
                    deleted += await database.KeyDeleteAsync(chunk);
                }
            }
        }
        return deleted;
    }

    private static InvalidOperationException NotConnected() => new("Redis is not connected yet: the clustered storage's startup connects it before the first request.");

    public void Dispose()
    {
        _shard?.Dispose();
        _pool?.Dispose();
    }
}
