using Microsoft.Extensions.Options;

namespace Seckill.Web.Cluster;

/// <summary>
/// 64-bit ids made in process, unique across instances without a database round trip:
/// 41 bits of milliseconds since 2026-01-01 (until 2095), 10 bits of instance id, 12 bits of
/// sequence. Used for order ids and stock transfer ids.
/// </summary>
/// <remarks>
/// Thread-safe and lock-free. The clock part never goes backwards: if the wall clock steps back,
/// or more than 4096 ids are asked for in one millisecond, ids borrow from the next
/// milliseconds instead of repeating, so ids from one process are strictly increasing.
/// </remarks>
public sealed class IdGenerator
{
    public const int MaxInstanceId = (1 << InstanceBits) - 1;
    private const int SequenceBits = 12;
    private const int InstanceBits = 10;
    private static readonly long Epoch = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();

    private readonly long _instance;
    private readonly TimeProvider _time;

    // (milliseconds since Epoch) << SequenceBits | sequence, of the last id handed out.
    private long _last;

    public IdGenerator(IOptions<InstanceOptions> options, TimeProvider time)
    {
        _instance = options.Value.InstanceId;
        _time = time;
    }

    public long Next()
    {
        var floor = (_time.GetUtcNow().ToUnixTimeMilliseconds() - Epoch) << SequenceBits;
        long last, next;
        do
        {
            last = Volatile.Read(ref _last);
            next = floor > last ? floor : last + 1;
        }
        while (Interlocked.CompareExchange(ref _last, next, last) != last);

        var millis = next >> SequenceBits;
        var sequence = next & ((1 << SequenceBits) - 1);
        return (millis << (InstanceBits + SequenceBits)) | (_instance << SequenceBits) | sequence;
    }

    /// <summary>
    /// Makes every later id come after <paramref name="id"/> in (time, sequence) order: called at
    /// startup with the highest stored order id, so that a clock that stepped back across a
    /// restart cannot hand out an id that is already taken.
    /// </summary>
    public void AdvancePast(long id)
    {
        var state = ((id >> (InstanceBits + SequenceBits)) << SequenceBits) | (id & ((1 << SequenceBits) - 1));
        long last;
        do
        {
            last = Volatile.Read(ref _last);
            if (last >= state)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref _last, state, last) != last);
    }

    /// <summary>The instance that made an id (for diagnostics and reclaim).</summary>
    public static int InstanceOf(long id) => (int)((id >> SequenceBits) & MaxInstanceId);

    public static DateTimeOffset TimeOf(long id) =>
        DateTimeOffset.FromUnixTimeMilliseconds((id >> (InstanceBits + SequenceBits)) + Epoch);
}
