using System.Globalization;
using System.Text;
using Seckill.Web.Cluster;
using StackExchange.Redis;

namespace Seckill.Web.Storage.Redis;

/// <summary>
/// The instance registry in the shared Redis, under the cluster's key prefix: sorted set
/// <c>heartbeats</c> (instance id, scored by the time of its last beat), hashes <c>instances</c>
/// (instance id → its shard's address), <c>rates</c> (instance id → <c>sale=units/s;…</c>),
/// <c>reclaimed</c> (instance id → the last beat it had when reclaimed) and <c>endgames</c>
/// (sale id → end-game shard), and a string <c>lock:{name}</c> per lock held.
/// </summary>
public sealed class RedisInstanceRegistry(RedisConnections redis) : IInstanceRegistry
{
    // Deletes a lock only if its owner still holds it (it may have expired and been taken since).
    private const string Unlock = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

    // HGETALL, then HDEL of the sales whose end game the shard holds, in one step.
    private const string EndEndgames = """
        local all = redis.call('HGETALL', KEYS[1])
        local ended = {}
        for i = 1, #all, 2 do
          if all[i + 1] == ARGV[1] then redis.call('HDEL', KEYS[1], all[i]); ended[#ended + 1] = all[i] end
        end
        return ended
        """;

    private RedisKey Key(string name) => redis.KeyPrefix + name;

    private IDatabase Pool => redis.Pool;

    public string ShardEndpoint => redis.ShardEndpoint;

    public async Task BeatAsync(int instanceId, DateTimeOffset at, IReadOnlyDictionary<long, double> rates)
    {
        var batch = Pool.CreateBatch();
        var endpoint = batch.HashSetAsync(Key("instances"), instanceId, redis.ShardEndpoint);
        var rate = batch.HashSetAsync(Key("rates"), instanceId, FormatRates(rates));
        var beat = batch.SortedSetAddAsync(Key("heartbeats"), instanceId, at.ToUnixTimeMilliseconds());
        batch.Execute();
        await RedisCalls.Guard(Task.WhenAll(endpoint, rate, beat), "pool");
    }

    public Task<IReadOnlyList<InstanceBeat>> ListAliveSinceAsync(DateTimeOffset since) => ListAsync(since.ToUnixTimeMilliseconds());

    public Task<IReadOnlyList<InstanceBeat>> ListAllAsync() => ListAsync(double.NegativeInfinity);

    private async Task<IReadOnlyList<InstanceBeat>> ListAsync(double sinceMs)
    {
        var live = await RedisCalls.Guard(Pool.SortedSetRangeByScoreWithScoresAsync(Key("heartbeats"), sinceMs), "pool");
        if (live.Length == 0)
        {
            return [];
        }
        var ids = live.Select(entry => entry.Element).ToArray();
        var endpoints = await RedisCalls.Guard(Pool.HashGetAsync(Key("instances"), ids), "pool");
        var rates = await RedisCalls.Guard(Pool.HashGetAsync(Key("rates"), ids), "pool");
        var beats = new List<InstanceBeat>(live.Length);
        for (var i = 0; i < live.Length; i++)
        {
            beats.Add(new InstanceBeat((int)live[i].Element, endpoints[i].IsNull ? "" : (string)endpoints[i]!,
                DateTimeOffset.FromUnixTimeMilliseconds((long)live[i].Score), ParseRates(rates[i])));
        }
        return beats;
    }

    public async Task<IReadOnlyDictionary<int, DateTimeOffset>> ListReclaimedAsync() =>
        (await RedisCalls.Guard(Pool.HashGetAllAsync(Key("reclaimed")), "pool"))
        .ToDictionary(entry => (int)entry.Name, entry => DateTimeOffset.FromUnixTimeMilliseconds((long)entry.Value));

    public Task MarkReclaimedAsync(int instanceId, DateTimeOffset lastBeat) =>
        RedisCalls.Guard(Pool.HashSetAsync(Key("reclaimed"), instanceId, lastBeat.ToUnixTimeMilliseconds()), "pool");

    public Task ForgetReclaimedAsync(int instanceId) => RedisCalls.Guard(Pool.HashDeleteAsync(Key("reclaimed"), instanceId), "pool");

    public Task<bool> TryLockAsync(string name, string owner, TimeSpan ttl) =>
        RedisCalls.Guard(LockAsync(name, owner, ttl), "pool");

    private async Task<bool> LockAsync(string name, string owner, TimeSpan ttl)
    {
        var key = Key("lock:" + name);
        if (await Pool.StringSetAsync(key, owner, ttl, When.NotExists))
        {
            return true;
        }
        // Held by this owner already: extend it.
        return await Pool.StringGetAsync(key) == owner && await Pool.KeyExpireAsync(key, ttl);
    }

    public Task UnlockAsync(string name, string owner) =>
        RedisCalls.Guard(Pool.ScriptEvaluateAsync(Unlock, [Key("lock:" + name)], [owner]), "pool");

    public async Task<int> ClaimEndgameAsync(long saleId, int shardId)
    {
        await RedisCalls.Guard(Pool.HashSetAsync(Key("endgames"), saleId, shardId, When.NotExists), "pool");
        return await EndgameOfAsync(saleId) ?? shardId;
    }

    public async Task<int?> EndgameOfAsync(long saleId)
    {
        var shard = await RedisCalls.Guard(Pool.HashGetAsync(Key("endgames"), saleId), "pool");
        return shard.IsNull ? null : (int)shard;
    }

    public async Task<IReadOnlyList<long>> EndEndgamesOnAsync(int shardId)
    {
        var ended = (RedisResult[])(await RedisCalls.Guard(Pool.ScriptEvaluateAsync(EndEndgames, [Key("endgames")], [shardId]), "pool"))!;
        return ended.Select(sale => (long)sale).ToList();
    }

    private static string FormatRates(IReadOnlyDictionary<long, double> rates)
    {
        var text = new StringBuilder();
        foreach (var (saleId, rate) in rates)
        {
            text.Append(CultureInfo.InvariantCulture, $"{saleId}={rate:0.###};");
        }
        return text.ToString();
    }

    private static IReadOnlyDictionary<long, double> ParseRates(RedisValue value)
    {
        var rates = new Dictionary<long, double>();
        if (value.IsNullOrEmpty)
        {
            return rates;
        }
        foreach (var pair in ((string)value!).Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var at = pair.IndexOf('=');
            if (at > 0 && long.TryParse(pair.AsSpan(0, at), CultureInfo.InvariantCulture, out var saleId) &&
                double.TryParse(pair.AsSpan(at + 1), CultureInfo.InvariantCulture, out var rate))
            {
                rates[saleId] = rate;
            }
        }
        return rates;
    }
}
