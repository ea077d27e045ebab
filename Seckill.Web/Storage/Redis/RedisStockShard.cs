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
/// <para>Keys, all under the cluster's prefix (<see cref="RedisConnections.KeyPrefix"/>; one Redis per
/// instance, so no instance id in them):</para>
/// <list type="bullet">
/// <item><c>stock:{sale}</c> hash: <c>available</c>, <c>reserved</c>;</item>
/// <item><c>buyers:{sale}</c> hash: user id → order id (one reservation or order per user);</item>
/// <item><c>unconfirmed</c> hash: order id → the reservation, until the database has it;</item>
/// <item><c>received:{sale}</c> hash: transfer id → units, so a transfer is applied at most once;</item>
/// <item><c>sent:{sale}</c> hash: transfer id → units sent away, so a withdrawal happens at most once;</item>
/// <item><c>seq</c>: a counter every write moves forward, <c>fenced</c>, and <c>reclaimed</c> (the
/// instance was declared dead and its stock given away: the fence stays until it rejoins).</item>
/// </list>
/// <para>Lost writes: a Redis that restarts from an AOF missing its last second comes back with
/// <c>seq</c> behind what this instance has already seen it answer. Every script is given that
/// highest <c>seq</c>; one that finds the counter behind it sets <c>fenced</c> in the same step,
/// reservations are refused from then on (<see cref="ReserveStatus.Fenced"/>), and the
/// <see cref="Fenced"/> event has <see cref="ShardRecovery"/> set the counters from the database.
/// The same check runs as soon as the connection comes back after a restart.</para>
/// <para>Order ids are 64-bit and Lua numbers are doubles: ids stay strings inside the scripts.
/// Thread-safe. Buyer marks are also kept in memory for <see cref="TryGetKnownOrder"/>; only this
/// instance writes its shard, so that copy stays true.</para>
/// </remarks>
public sealed class RedisStockShard : IStockShard
{
    // Every script: KEYS[1] seq, KEYS[2] fenced, ARGV[1] the highest seq this instance has seen.
    // It leaves `fenced` 0 (not fenced), 1 (fenced) or 2 (fenced now, by this call: the counter
    // went back). The counter is then set to what was seen, so that only the first call after the
    // loss reports it (and asks for one recovery); the fence itself stays until lifted.
    private const string Check = """
        local seq = tonumber(redis.call('GET', KEYS[1]) or '0')
        local fenced = redis.call('EXISTS', KEYS[2])
        if seq < tonumber(ARGV[1]) then
          seq = tonumber(ARGV[1])
          redis.call('SET', KEYS[1], seq)
          redis.call('SET', KEYS[2], '1')
          fenced = 2
        end

        """;

    private const string Written = "\nseq = redis.call('INCR', KEYS[1])\n";

    // KEYS[3] stock, KEYS[4] buyers, KEYS[5] unconfirmed; ARGV: user, order, quantity, record.
    private const string Reserve = Check + """
        if fenced > 0 then return {3, '0', 0, seq, fenced} end
        local held = redis.call('HGET', KEYS[4], ARGV[2])
        local available = tonumber(redis.call('HGET', KEYS[3], 'available') or '0')
        if held then return {2, held, available, seq, 0} end
        local quantity = tonumber(ARGV[4])
        if available < quantity then return {1, '0', available, seq, 0} end
        redis.call('HINCRBY', KEYS[3], 'available', -quantity)
        redis.call('HINCRBY', KEYS[3], 'reserved', quantity)
        redis.call('HSET', KEYS[4], ARGV[2], ARGV[3])
        redis.call('HSET', KEYS[5], ARGV[3], ARGV[5])
        """ + Written + """
        return {0, '0', available - quantity, seq, 0}
        """;

    // KEYS[3] unconfirmed, KEYS[4..] stock hashes; ARGV after the first: triples of (order id,
    // quantity, index in KEYS of the sale's stock hash).
    private const string Confirm = Check + """
        for i = 2, #ARGV, 3 do
          if redis.call('HDEL', KEYS[3], ARGV[i]) == 1 then
            redis.call('HINCRBY', KEYS[tonumber(ARGV[i + 2])], 'reserved', -tonumber(ARGV[i + 1]))
          end
        end
        """ + Written + "return {seq, fenced}";

    // Only a reservation still unconfirmed holds units; failing one twice returns nothing. The
    // mark goes only if it is this order's: a late failure must not free a newer order's mark.
    // KEYS[3] stock, KEYS[4] buyers, KEYS[5] unconfirmed; ARGV: order, user, quantity, return units.
    private const string Fail = Check + """
        if redis.call('HDEL', KEYS[5], ARGV[2]) == 1 then
          redis.call('HINCRBY', KEYS[3], 'reserved', -tonumber(ARGV[4]))
          if ARGV[5] == '1' then redis.call('HINCRBY', KEYS[3], 'available', tonumber(ARGV[4])) end
        end
        if redis.call('HGET', KEYS[4], ARGV[3]) == ARGV[2] then redis.call('HDEL', KEYS[4], ARGV[3]) end
        """ + Written + "return {seq, fenced}";

    // KEYS[3] buyers; ARGV: user, order.
    private const string ReleaseMark = Check + """
        if redis.call('HGET', KEYS[3], ARGV[2]) == ARGV[3] then redis.call('HDEL', KEYS[3], ARGV[2]) end
        """ + Written + "return {seq, fenced}";

    // KEYS[3] buyers.
    private const string ForgetBuyers = Check + """
        redis.call('DEL', KEYS[3])
        """ + Written + "return {seq, fenced}";

    // KEYS[3] buyers; ARGV: user, order.
    private const string RestoreMark = Check + """
        redis.call('HSET', KEYS[3], ARGV[2], ARGV[3])
        """ + Written + "return {seq, fenced}";

    // KEYS[3] stock, KEYS[4] received, KEYS[5] reclaimed; ARGV: transfer, units. A reclaimed
    // shard's stock went back to the pool: it records the transfer as received with 0 units (so it
    // is never applied, even after a rejoin) and answers 0; otherwise the units received.
    private const string Receive = Check + """
        if redis.call('EXISTS', KEYS[5]) == 1 then
          redis.call('HSETNX', KEYS[4], ARGV[2], '0')
        elseif redis.call('HSETNX', KEYS[4], ARGV[2], ARGV[3]) == 1 then
          redis.call('HINCRBY', KEYS[3], 'available', tonumber(ARGV[3]))
        end
        local received = tonumber(redis.call('HGET', KEYS[4], ARGV[2]))
        """ + Written + "return {received, seq, fenced}";

    private const string Probe = Check + "return {seq, fenced}";

    // KEYS[3] stock, KEYS[4] sent; ARGV: transfer, max units. A fenced shard sends nothing.
    private const string Withdraw = Check + """
        local sent = redis.call('HGET', KEYS[4], ARGV[2])
        if sent then return {tonumber(sent), seq, fenced} end
        local units = 0
        if fenced == 0 then
          local available = tonumber(redis.call('HGET', KEYS[3], 'available') or '0')
          units = math.max(0, math.min(available, tonumber(ARGV[3])))
          if units > 0 then redis.call('HINCRBY', KEYS[3], 'available', -units) end
        end
        redis.call('HSET', KEYS[4], ARGV[2], units)
        """ + Written + "return {units, seq, fenced}";

    // KEYS[3] sent; ARGV: transfer. What was sent, or 0 from now on.
    private const string Settle = Check + """
        redis.call('HSETNX', KEYS[3], ARGV[2], 0)
        local units = tonumber(redis.call('HGET', KEYS[3], ARGV[2]))
        """ + Written + "return {units, seq, fenced}";

    // KEYS[1] fenced, KEYS[2] reclaimed, KEYS[3] unconfirmed.
    private const string ReclaimScript = """
        redis.call('SET', KEYS[2], '1')
        redis.call('SET', KEYS[1], '1')
        return redis.call('HGETALL', KEYS[3])
        """;

    // KEYS[3] stock, KEYS[4] buyers, KEYS[5] unconfirmed, KEYS[6] received. ARGV: sale, held,
    // then counted lists: the ledger's moves in (transfer, units), the outstanding reservations
    // (order, record, quantity), the buyers (user, order).
    private const string Restore = Check + """
        local at = 4
        local listed = {}
        local n = tonumber(ARGV[at]); at = at + 1
        for i = 1, n do
          listed[ARGV[at]] = true
          redis.call('HSET', KEYS[6], ARGV[at], ARGV[at + 1])
          at = at + 2
        end
        -- Transfers that landed after the ledger was read count on top of what it says.
        local landed = 0
        local received = redis.call('HGETALL', KEYS[6])
        for i = 1, #received, 2 do
          if not listed[received[i]] then landed = landed + tonumber(received[i + 1]) end
        end
        local prefix = ARGV[2] .. ':'
        local unconfirmed = redis.call('HGETALL', KEYS[5])
        for i = 1, #unconfirmed, 2 do
          if string.sub(unconfirmed[i + 1], 1, #prefix) == prefix then redis.call('HDEL', KEYS[5], unconfirmed[i]) end
        end
        local reserved = 0
        n = tonumber(ARGV[at]); at = at + 1
        for i = 1, n do
          redis.call('HSET', KEYS[5], ARGV[at], ARGV[at + 1])
          reserved = reserved + tonumber(ARGV[at + 2])
          at = at + 3
        end
        redis.call('HSET', KEYS[3], 'available', tonumber(ARGV[3]) + landed - reserved, 'reserved', reserved)
        redis.call('DEL', KEYS[4])
        n = tonumber(ARGV[at]); at = at + 1
        for i = 1, n do
          redis.call('HSET', KEYS[4], ARGV[at], ARGV[at + 1])
          at = at + 2
        end
        """ + Written + "return {seq, fenced}";

    // Sets the counter past everything this instance has seen, so that no call already on its
    // way with an older highest seq fences the shard again.
    // A reclaimed shard (KEYS[3]) keeps its fence until its instance rejoins.
    private const string Lift = """
        local seq = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), tonumber(ARGV[1])) + 1
        redis.call('SET', KEYS[1], seq)
        if redis.call('EXISTS', KEYS[3]) == 0 then redis.call('DEL', KEYS[2]) end
        return {seq, 0}
        """;

    private static readonly RedisValue[] StockFields = ["available", "reserved"];

    private readonly Func<IDatabase> _database;
    private readonly Func<string> _prefix;
    private readonly bool _remote;
    private readonly ConcurrentDictionary<long, SaleKeys> _keys = new();
    private readonly ConcurrentDictionary<(long SaleId, long UserId), long> _marks = new();
    private ShardKeys? _shardKeys;
    // The highest seq this instance has seen the shard answer.
    private long _seq;

    /// <summary>This instance's own shard.</summary>
    public RedisStockShard(RedisConnections redis) : this(redis.ShardId, () => redis.Shard, () => redis.KeyPrefix, remote: false) =>
        redis.ShardReconnected += () => _ = CheckAfterReconnectAsync();

    /// <summary>
    /// Another instance's shard, reached to move its stock (<see cref="RemoteShards"/>). Only the
    /// owner knows the highest <c>seq</c> its shard answered, so only the owner detects lost writes:
    /// a remote caller sends 0 and leaves the fence as it finds it.
    /// </summary>
    public RedisStockShard(int id, Func<IDatabase> database, Func<string> prefix, bool remote)
    {
        (Id, _database, _prefix, _remote) = (id, database, prefix, remote);
    }

    private IDatabase Db => _database();

    public int Id { get; }

    public event Action? Fenced;

    /// <summary>The keys of the whole shard (known once the cluster's prefix is, after connecting).</summary>
    private sealed class ShardKeys(string prefix)
    {
        public readonly string Prefix = prefix;
        public readonly RedisKey Seq = prefix + "seq";
        public readonly RedisKey Fenced = prefix + "fenced";
        public readonly RedisKey Unconfirmed = prefix + "unconfirmed";
        public readonly RedisKey Reclaimed = prefix + "reclaimed";
        public RedisKey[] SeqFenced => [Seq, Fenced];
        public RedisKey[] SeqFencedReclaimed => [Seq, Fenced, Reclaimed];
    }

    /// <summary>The keys of one sale, each script's list built once.</summary>
    private sealed class SaleKeys
    {
        public readonly RedisKey Stock, Buyers, Received, Sent;
        public readonly RedisKey[] StockBuyersUnconfirmed, StockReceivedReclaimed, StockSent, SentOnly, BuyersOnly, All;

        public SaleKeys(ShardKeys shard, long saleId)
        {
            Stock = $"{shard.Prefix}stock:{saleId}";
            Buyers = $"{shard.Prefix}buyers:{saleId}";
            Received = $"{shard.Prefix}received:{saleId}";
            Sent = $"{shard.Prefix}sent:{saleId}";
            StockSent = [shard.Seq, shard.Fenced, Stock, Sent];
            SentOnly = [shard.Seq, shard.Fenced, Sent];
            StockBuyersUnconfirmed = [shard.Seq, shard.Fenced, Stock, Buyers, shard.Unconfirmed];
            StockReceivedReclaimed = [shard.Seq, shard.Fenced, Stock, Received, shard.Reclaimed];
            BuyersOnly = [shard.Seq, shard.Fenced, Buyers];
            All = [shard.Seq, shard.Fenced, Stock, Buyers, shard.Unconfirmed, Received];
        }
    }

    private ShardKeys Whole => _shardKeys ??= new ShardKeys(_prefix());

    private SaleKeys Keys(long saleId) => _keys.GetOrAdd(saleId, static (id, shard) => new SaleKeys(shard, id), Whole);

    public async ValueTask<ReserveResult> ReserveAsync(Reservation r)
    {
        var result = await Run(Reserve, Keys(r.SaleId).StockBuyersUnconfirmed, [r.UserId, r.OrderId, r.Quantity, Record(r)]);
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
        var keys = new List<RedisKey> { Whole.Seq, Whole.Fenced, Whole.Unconfirmed };
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
        await Run(ReleaseMark, Keys(saleId).BuyersOnly, [userId, orderId]);
        ForgetMark(saleId, userId, orderId);
    }

    public async ValueTask RestoreMarkAsync(long saleId, long userId, long orderId)
    {
        await Run(RestoreMark, Keys(saleId).BuyersOnly, [userId, orderId]);
        _marks[(saleId, userId)] = orderId;
    }

    public async ValueTask ForgetBuyersAsync(long saleId)
    {
        await Run(ForgetBuyers, Keys(saleId).BuyersOnly, []);
        // Once per ended sale: a walk over every mark held here is cheap enough for that. The
        // table itself, not its Keys, which would take every lock while purchases mark buyers.
        foreach (var (mark, _) in _marks)
        {
            if (mark.SaleId == saleId)
            {
                _marks.TryRemove(mark, out _);
            }
        }
    }

    public async ValueTask<bool> AddAsync(long saleId, long units, long transferId) =>
        (long)(await Run(Receive, Keys(saleId).StockReceivedReclaimed, [transferId, units]))[0] > 0;

    public async ValueTask<bool> HasReceivedAsync(long saleId, long transferId) =>
        await Guard(Db.HashGetAsync(Keys(saleId).Received, transferId)) is { IsNull: false } units && (long)units > 0;

    public async ValueTask<long> WithdrawAsync(long saleId, long maxUnits, long transferId) =>
        (long)(await Run(Withdraw, Keys(saleId).StockSent, [transferId, maxUnits]))[0];

    public async ValueTask<long> SettleWithdrawalAsync(long saleId, long transferId) =>
        (long)(await Run(Settle, Keys(saleId).SentOnly, [transferId]))[0];

    public async ValueTask<long?> SentAsync(long saleId, long transferId)
    {
        var sent = await Guard(Db.HashGetAsync(Keys(saleId).Sent, transferId));
        return sent.IsNull ? null : (long)sent;
    }

    public async ValueTask<IReadOnlyList<Reservation>> ReclaimAsync()
    {
        var entries = (RedisResult[])(await Guard(Db.ScriptEvaluateAsync(ReclaimScript, [Whole.Fenced, Whole.Reclaimed, Whole.Unconfirmed])))!;
        var reservations = new List<Reservation>(entries.Length / 2);
        for (var i = 0; i < entries.Length; i += 2)
        {
            reservations.Add(Parse((long)entries[i], (string)entries[i + 1]!));
        }
        reservations.Sort(static (a, b) => a.OrderId.CompareTo(b.OrderId));
        return reservations;
    }

    public async ValueTask<bool> IsReclaimedAsync() => await Guard(Db.KeyExistsAsync(Whole.Reclaimed));

    public async ValueTask RejoinAsync() => await Guard(Db.KeyDeleteAsync(Whole.Reclaimed));

    public async ValueTask<ShardStock> GetAsync(long saleId)
    {
        var values = await Guard(Db.HashGetAsync(Keys(saleId).Stock, StockFields));
        return new ShardStock(values[0].IsNull ? 0 : (long)values[0], values[1].IsNull ? 0 : (long)values[1]);
    }

    public async ValueTask<IReadOnlyDictionary<long, long>> ListBuyersAsync(long saleId)
    {
        var entries = await Guard(Db.HashGetAllAsync(Keys(saleId).Buyers));
        return entries.ToDictionary(entry => (long)entry.Name, entry => (long)entry.Value);
    }

    public async ValueTask<long> CountBuyersAsync(long saleId) => await Guard(Db.HashLengthAsync(Keys(saleId).Buyers));

    public async ValueTask<IReadOnlyList<Reservation>> ListUnconfirmedAsync()
    {
        var entries = await Guard(Db.HashGetAllAsync(Whole.Unconfirmed));
        var reservations = entries.Select(entry => Parse((long)entry.Name, entry.Value!)).ToList();
        reservations.Sort(static (a, b) => a.OrderId.CompareTo(b.OrderId));
        return reservations;
    }

    public async ValueTask<Reservation?> FindUnconfirmedAsync(long orderId)
    {
        var record = await Guard(Db.HashGetAsync(Whole.Unconfirmed, orderId));
        return record.IsNull ? null : Parse(orderId, record!);
    }

    public async ValueTask RestoreAsync(ShardState state)
    {
        var values = new List<RedisValue> { state.SaleId, state.Held, state.MovesIn.Count };
        foreach (var move in state.MovesIn)
        {
            values.Add(move.TransferId);
            values.Add(move.Units);
        }
        values.Add(state.Outstanding.Count);
        foreach (var r in state.Outstanding)
        {
            values.Add(r.OrderId);
            values.Add(Record(r));
            values.Add(r.Quantity);
        }
        values.Add(state.Buyers.Count);
        foreach (var (userId, orderId) in state.Buyers)
        {
            values.Add(userId);
            values.Add(orderId);
        }
        await Run(Restore, Keys(state.SaleId).All, [.. values]);
        foreach (var mark in _marks.Keys.Where(mark => mark.SaleId == state.SaleId && !state.Buyers.ContainsKey(mark.UserId)))
        {
            _marks.TryRemove(mark, out _);
        }
        foreach (var (userId, orderId) in state.Buyers)
        {
            _marks[(state.SaleId, userId)] = orderId;
        }
    }

    public async ValueTask FenceAsync() => await Guard(Db.StringSetAsync(Whole.Fenced, 1));

    public async ValueTask LiftFenceAsync()
    {
        var result = (RedisResult[])(await Guard(Db.ScriptEvaluateAsync(Lift, Whole.SeqFencedReclaimed, [Volatile.Read(ref _seq)])))!;
        Observe((long)result[0]);
    }

    public async ValueTask PingAsync() => await Guard(Db.PingAsync());

    /// <summary>After a reconnect: did the Redis come back with fewer writes than it answered?</summary>
    private async Task CheckAfterReconnectAsync()
    {
        try
        {
            await Run(Probe, Whole.SeqFenced, []);
        }
        catch (StockUnavailableException)
        {
            // Gone again: the next call looks.
        }
    }

    private void ForgetMark(long saleId, long userId, long orderId) =>
        _marks.TryRemove(new KeyValuePair<(long, long), long>((saleId, userId), orderId));

    // The durable record of a reservation: everything needed to write its order after a crash.
    // It starts with the sale id, which is how Restore finds a sale's reservations.
    private static string Record(Reservation r) =>
        string.Create(CultureInfo.InvariantCulture, $"{r.SaleId}:{r.UserId}:{r.Quantity}:{r.AmountCents}:{r.CreatedAtMs}");

    private Reservation Parse(long orderId, string record)
    {
        var parts = record.Split(':');
        return new Reservation(orderId, long.Parse(parts[0], CultureInfo.InvariantCulture), long.Parse(parts[1], CultureInfo.InvariantCulture),
            int.Parse(parts[2], CultureInfo.InvariantCulture), long.Parse(parts[3], CultureInfo.InvariantCulture), long.Parse(parts[4], CultureInfo.InvariantCulture), Id);
    }

    /// <summary>
    /// Runs a script with the highest seq seen; takes in the seq it answers with (its last two
    /// values are the seq and the fence, see <see cref="Check"/>) and says when it found the loss.
    /// </summary>
    /// <remarks>The client sends a script by its hash once the server has it, and in full after a NOSCRIPT.</remarks>
    private async Task<RedisResult[]> Run(string script, RedisKey[] keys, RedisValue[] values)
    {
        RedisValue[] withSeq = [_remote ? 0 : Volatile.Read(ref _seq), .. values];
        var result = (RedisResult[])(await Guard(Db.ScriptEvaluateAsync(script, keys, withSeq)))!;
        if (_remote)
        {
            return result;
        }
        Observe((long)result[^2]);
        if ((long)result[^1] == 2)
        {
            Fenced?.Invoke();
        }
        return result;
    }

    private void Observe(long seq)
    {
        var seen = Volatile.Read(ref _seq);
        while (seq > seen)
        {
            var before = Interlocked.CompareExchange(ref _seq, seq, seen);
            if (before == seen)
            {
                return;
            }
            seen = before;
        }
    }

    private static Task<T> Guard<T>(Task<T> call) => RedisCalls.Guard(call, "shard");
}
