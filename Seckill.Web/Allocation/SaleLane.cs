using Seckill.Web.Cluster;

namespace Seckill.Web.Allocation;

/// <summary>
/// One sale's allocation state on this instance, fetched once per purchase: which shard its
/// buyers reserve on (this instance's own, or the end-game shard), how fast it sells here, and the
/// lane that makes moves to the local shard go one at a time.
/// </summary>
/// <remarks>Thread-safe: plain fields read and written atomically; the lane's gate serialises refills.</remarks>
public sealed class SaleLane(long saleId, SellRates.Meter meter)
{
    public const int NoEndgame = -1;

    private int _endgameShard = NoEndgame;
    private int _lowSignalled;
    internal long Completed;
    // When (Stopwatch timestamp) the last refill that found nothing to move began; written under the gate.
    internal long EmptyRefillStartedAt;
    // Refills that found nothing to move (a figure for tests: a crowd should share them).
    internal int EmptyRefills;

    public long SaleId { get; } = saleId;

    /// <summary>Moves a buyer waits for instead of starting another (refills are one at a time per sale).</summary>
    internal SemaphoreSlim Gate { get; } = new(1, 1);

    public SellRates.Meter Meter { get; } = meter;

    /// <summary>How many refills completed: read before reserving, for <see cref="Allocator.RefillAsync"/>.</summary>
    public long MovesDone => Volatile.Read(ref Completed);

    /// <summary>The sale's end-game shard, or <see cref="NoEndgame"/>.</summary>
    public int EndgameShard
    {
        get => Volatile.Read(ref _endgameShard);
        set => Volatile.Write(ref _endgameShard, value);
    }

    /// <summary>The shard this instance's buyers of the sale reserve on.</summary>
    public int ShardFor(int localShard)
    {
        var endgame = EndgameShard;
        return endgame == NoEndgame ? localShard : endgame;
    }

    /// <summary>Marks the low watermark reached; true only for the first caller until <see cref="ClearLowSignal"/>.</summary>
    internal bool TrySignalLow() => Interlocked.Exchange(ref _lowSignalled, 1) == 0;

    internal void ClearLowSignal() => Volatile.Write(ref _lowSignalled, 0);
}
