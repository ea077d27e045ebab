using System.Collections.Concurrent;
using System.Globalization;
using Seckill.Web.Stock;
using StackExchange.Redis;

namespace Seckill.Web.Storage.Redis;

/// <summary>
/// The clustered mode's pool, in the Redis every instance shares. Transfers are recorded so a
/// crash at any step neither loses nor duplicates units: taking units out of the pool records
/// them as in transit to their shard in the same script; the shard applies a transfer id at most
/// once; only then is the transit record completed. Units put back are applied at most once per
/// transfer id.
/// </summary>
/// <remarks>
/// Keys: <c>seckill:pool:{sale}</c> (units), <c>seckill:transit:{sale}</c> hash (transfer id →
/// "instance:units"), <c>seckill:returned:{sale}</c> hash (transfer id → units). Thread-safe.
/// </remarks>
public sealed class RedisStockPool(RedisConnections redis) : IStockPool
{
    private const string Take = """
        local recorded = redis.call('HGET', KEYS[2], ARGV[1])
        if recorded then return tonumber(string.match(recorded, ':(%d+)$')) end
        local units = tonumber(redis.call('GET', KEYS[1]) or '0')
        local taken = math.min(units, tonumber(ARGV[2]))
        if taken <= 0 then return 0 end
        redis.call('DECRBY', KEYS[1], taken)
        redis.call('HSET', KEYS[2], ARGV[1], ARGV[3] .. ':' .. taken)
        return taken
        """;

    private const string Put = """
        if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2]) == 1 then
          redis.call('INCRBY', KEYS[1], tonumber(ARGV[2]))
        end
        return 0
        """;

    private readonly ConcurrentDictionary<long, SaleKeys> _keys = new();

    private sealed class SaleKeys(long saleId)
    {
        public readonly RedisKey Pool = $"seckill:pool:{saleId}";
        public readonly RedisKey Transit = $"seckill:transit:{saleId}";
        public readonly RedisKey Returned = $"seckill:returned:{saleId}";
    }

    private SaleKeys Keys(long saleId) => _keys.GetOrAdd(saleId, static id => new SaleKeys(id));

    /// <summary>Only the first seed counts: the pool outlives instances, and a restart must not refill it.</summary>
    public async ValueTask SeedAsync(long saleId, long units) =>
        await Guard(redis.Pool.StringSetAsync(Keys(saleId).Pool, units, when: When.NotExists));

    public async ValueTask<long> TakeAsync(long saleId, long maxUnits, long transferId, int toInstance)
    {
        var keys = Keys(saleId);
        return (long)await Guard(redis.Pool.ScriptEvaluateAsync(Take, [keys.Pool, keys.Transit], [transferId, maxUnits, toInstance]));
    }

    public async ValueTask CompleteTransferAsync(long saleId, long transferId) =>
        await Guard(redis.Pool.HashDeleteAsync(Keys(saleId).Transit, transferId));

    public async ValueTask<IReadOnlyList<Transfer>> ListInTransitAsync(long saleId)
    {
        var entries = await Guard(redis.Pool.HashGetAllAsync(Keys(saleId).Transit));
        return entries.Select(entry =>
        {
            var parts = ((string)entry.Value!).Split(':');
            return new Transfer((long)entry.Name, saleId, int.Parse(parts[0], CultureInfo.InvariantCulture), long.Parse(parts[1], CultureInfo.InvariantCulture));
        }).ToList();
    }

    public async ValueTask PutAsync(long saleId, long units, long transferId)
    {
        var keys = Keys(saleId);
        await Guard(redis.Pool.ScriptEvaluateAsync(Put, [keys.Pool, keys.Returned], [transferId, units]));
    }

    public async ValueTask<long> GetAsync(long saleId)
    {
        var units = await Guard(redis.Pool.StringGetAsync(Keys(saleId).Pool));
        return units.IsNull ? 0 : (long)units;
    }

    public async ValueTask PingAsync() => await Guard(redis.Pool.PingAsync());

    private static Task<T> Guard<T>(Task<T> call) => RedisCalls.Guard(call, "pool");
}
