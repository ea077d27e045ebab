using System.Collections.Concurrent;
using System.Globalization;
using Seckill.Web.Orders;
using Seckill.Web.Stock;
using StackExchange.Redis;

namespace Seckill.Web.Storage.Redis;

/// <summary>
/// The clustered mode's shard: this instance's stock, buyer marks and unconfirmed reservations
/// in its own Redis. Each step is one Lua script, so each is atomic and one round trip; with AOF
/// on, a 202 survives the instance (replayed at its next start) and the Redis restarting.
/// </summary>
/// <remarks>
/// Keys (one Redis per instance, so no instance id in them):
/// <list type="bullet">
/// <item><c>seckill:stock:{sale}</c> hash: <c>available</c>, <c>reserved</c>;</item>
/// <item><c>seckill:buyers:{sale}</c> hash: user id → order id (one reservation or order per user);</item>
/// <item><c>seckill:unconfirmed</c> hash: order id → the reservation, until the database has it;</item>
/// <item><c>seckill:received:{sale}</c>, <c>seckill:sent:{sale}</c> hashes: transfer id → units,
/// so a transfer is applied at most once.</item>
/// </list>
/// Order ids are 64-bit and Lua numbers are doubles: ids stay strings inside the scripts.
/// Thread-safe. Buyer marks are also kept in memory for <see cref="TryGetKnownOrder"/>; only this
/// instance writes its shard, so that copy stays true.
/// </remarks>
public sealed class RedisStockShard(RedisConnections redis) : IStockShard
{
    private const string UnconfirmedKey = "seckill:unconfirmed";

    private const string Reserve = """
        local held = redis.call('HGET', KEYS[2], ARGV[1])
        local available = tonumber(redis.call('HGET', KEYS[1], 'available') or '0')
        if held then return {2, held, available} end
        local quantity = tonumber(ARGV[3])
        if available < quantity then return {1, '0', available} end
        redis.call('HINCRBY', KEYS[1], 'available', -quantity)
        redis.call('HINCRBY', KEYS[1], 'reserved', quantity)
        redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
        redis.call('HSET', KEYS[3], ARGV[2], ARGV[4])
        return {0, '0', available - quantity}
        """;

    // ARGV: triples of (order id, quantity, index in KEYS of the sale's stock hash).
    private const string Confirm = """
        for i = 1, #ARGV, 3 do
          if redis.call('HDEL', KEYS[1], ARGV[i]) == 1 then
            redis.call('HINCRBY', KEYS[tonumber(ARGV[i + 2])], 'reserved', -tonumber(ARGV[i + 1]))
          end
        end
        return 0
        """;

    // Only a reservation still unconfirmed holds units; failing one twice returns nothing. The
    // mark goes only if it is this order's: a late failure must not free a newer order's mark.
    private const string Fail = """
        if redis.call('HDEL', KEYS[3], ARGV[1]) == 1 then
          redis.call('HINCRBY', KEYS[1], 'reserved', -tonumber(ARGV[3]))
          if ARGV[4] == '1' then redis.call('HINCRBY', KEYS[1], 'available', tonumber(ARGV[3])) end
        end
        if redis.call('HGET', KEYS[2], ARGV[2]) == ARGV[1] then redis.call('HDEL', KEYS[2], ARGV[2]) end
        return 0
        """;

    private const string ReleaseMark = """
        if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then redis.call('HDEL', KEYS[1], ARGV[1]) end
        return 0
        """;

    private const string Receive = """
        if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2]) == 1 then
          redis.call('HINCRBY', KEYS[1], 'available', tonumber(ARGV[2]))
        end
        return 0
        """;

    private const string Send = """
        local sent = redis.call('HGET', KEYS[2], ARGV[1])
        if sent then return tonumber(sent) end
        local available = tonumber(redis.call('HGET', KEYS[1], 'available') or '0')
        local taken = math.min(available, tonumber(ARGV[2]))
        if taken < 0 then taken = 0 end
        redis.call('HINCRBY', KEYS[1], 'available', -taken)
        redis.call('HSET', KEYS[2], ARGV[1], taken)
        return taken
        """;

    private static readonly RedisValue[] StockFields = ["available", "reserved"];

    private readonly ConcurrentDictionary<long, SaleKeys> _keys = new();
    private readonly ConcurrentDictionary<(long SaleId, long UserId), long> _marks = new();

    private sealed class SaleKeys(long saleId)
    {
        public readonly RedisKey Stock = $"seckill:stock:{saleId}";
        public readonly RedisKey Buyers = $"seckill:buyers:{saleId}";
        public readonly RedisKey Received = $"seckill:received:{saleId}";
        public readonly RedisKey Sent = $"seckill:sent:{saleId}";
        public readonly RedisKey[] StockBuyersUnconfirmed = [$"seckill:stock:{saleId}", $"seckill:buyers:{saleId}", UnconfirmedKey];
    }

    private SaleKeys Keys(long saleId) => _keys.GetOrAdd(saleId, static id => new SaleKeys(id));

    public async ValueTask<ReserveResult> ReserveAsync(Reservation r)
    {
        var result = (RedisResult[])(await Run(Reserve, Keys(r.SaleId).StockBuyersUnconfirmed,
            [r.UserId, r.OrderId, r.Quantity, Record(r)]))!;
        var status = (ReserveStatus)(int)result[0];
        var held = (long)result[1];
        var available = (long)result[2];
        if (status == ReserveStatus.Reserved)
        {
            _marks[(r.SaleId, r.UserId)] = r.OrderId;
        }
        else if (status == ReserveStatus.AlreadyHolding)
        {
            _marks[(r.SaleId, r.UserId)] = held;
        }
        return new ReserveResult(status, held, available);
    }

    public bool TryGetKnownOrder(long saleId, long userId, out long orderId) => _marks.TryGetValue((saleId, userId), out orderId);

    public async ValueTask ConfirmAsync(IReadOnlyList<Reservation> reservations)
    {
        if (reservations.Count == 0)
        {
            return;
        }
        var keys = new List<RedisKey> { UnconfirmedKey };
        var keyIndex = new Dictionary<long, int>();
        var values = new RedisValue[reservations.Count * 3];
        for (var i = 0; i < reservations.Count; i++)
        {
            var r = reservations[i];
            if (!keyIndex.TryGetValue(r.SaleId, out var index))
            {
                keys.Add(Keys(r.SaleId).Stock);
                index = keyIndex[r.SaleId] = keys.Count; // Lua indexes from 1
            }
            values[3 * i] = r.OrderId;
            values[3 * i + 1] = r.Quantity;
            values[3 * i + 2] = index;
        }
        await Run(Confirm, keys.ToArray(), values);
    }

    public async ValueTask FailAsync(Reservation r, bool returnUnits = true)
    {
        await Run(Fail, Keys(r.SaleId).StockBuyersUnconfirmed, [r.OrderId, r.UserId, r.Quantity, returnUnits ? 1 : 0]);
        ForgetMark(r.SaleId, r.UserId, r.OrderId);
    }

    public async ValueTask ReleaseMarkAsync(long saleId, long userId, long orderId)
    {
        await Run(ReleaseMark, [Keys(saleId).Buyers], [userId, orderId]);
        ForgetMark(saleId, userId, orderId);
    }

    public async ValueTask RestoreMarkAsync(long saleId, long userId, long orderId)
    {
        await Guard(redis.Shard.HashSetAsync(Keys(saleId).Buyers, userId, orderId));
        _marks[(saleId, userId)] = orderId;
    }

    public async ValueTask AddAsync(long saleId, long units, long transferId)
    {
        var keys = Keys(saleId);
        await Run(Receive, [keys.Stock, keys.Received], [transferId, units]);
    }

    public async ValueTask<long> TakeAsync(long saleId, long maxUnits, long transferId)
    {
        var keys = Keys(saleId);
        return (long)await Run(Send, [keys.Stock, keys.Sent], [transferId, maxUnits]);
    }

    public async ValueTask<bool> HasReceivedAsync(long saleId, long transferId) =>
        await Guard(redis.Shard.HashExistsAsync(Keys(saleId).Received, transferId));

    public async ValueTask<ShardStock> GetAsync(long saleId)
    {
        var values = await Guard(redis.Shard.HashGetAsync(Keys(saleId).Stock, StockFields));
        return new ShardStock(values[0].IsNull ? 0 : (long)values[0], values[1].IsNull ? 0 : (long)values[1]);
    }

    public async ValueTask<IReadOnlyList<Reservation>> ListUnconfirmedAsync()
    {
        var entries = await Guard(redis.Shard.HashGetAllAsync(UnconfirmedKey));
        var reservations = entries.Select(entry => Parse((long)entry.Name, entry.Value!)).ToList();
        reservations.Sort(static (a, b) => a.OrderId.CompareTo(b.OrderId));
        return reservations;
    }

    public async ValueTask PingAsync() => await Guard(redis.Shard.PingAsync());

    private void ForgetMark(long saleId, long userId, long orderId) =>
        _marks.TryRemove(new KeyValuePair<(long, long), long>((saleId, userId), orderId));

    // The durable record of a reservation: everything needed to write its order after a crash.
    private static string Record(Reservation r) =>
        string.Create(CultureInfo.InvariantCulture, $"{r.SaleId}:{r.UserId}:{r.Quantity}:{r.AmountCents}:{r.CreatedAtMs}");

    private static Reservation Parse(long orderId, string record)
    {
        var parts = record.Split(':');
        return new Reservation(orderId, long.Parse(parts[0], CultureInfo.InvariantCulture), long.Parse(parts[1], CultureInfo.InvariantCulture),
            int.Parse(parts[2], CultureInfo.InvariantCulture), long.Parse(parts[3], CultureInfo.InvariantCulture), long.Parse(parts[4], CultureInfo.InvariantCulture));
    }

    // The client sends a script by its hash once the server has it, and in full after a NOSCRIPT.
    private Task<RedisResult> Run(string script, RedisKey[] keys, RedisValue[] values) =>
        Guard(redis.Shard.ScriptEvaluateAsync(script, keys, values));

    private static Task<T> Guard<T>(Task<T> call) => RedisCalls.Guard(call, "shard");
}
