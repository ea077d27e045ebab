using System.ComponentModel.DataAnnotations;

namespace Seckill.Web.Allocation;

/// <summary>How a sale's warm-up share is split over the live shards (<c>Allocation:Split</c>).</summary>
public enum AllocationSplit
{
    /// <summary>The same share to every live shard.</summary>
    Even,

    /// <summary>In proportion to each shard's recent sell rate (all sales together); even when no shard has sold yet.</summary>
    Traffic,
}

/// <summary>
/// Section <c>Allocation</c>: how a sale's stock is spread between the pool and the shards, and
/// when the allocator moves it. Watermarks are in seconds of a shard's own sell rate (units
/// reserved per second on it, smoothed over a few seconds): what matters is how long a shard's
/// stock lasts its buyers, not how much of the sale it holds.
/// </summary>
public sealed class AllocationOptions
{
    public const string Section = "Allocation";

    /// <summary>Share of a sale's stock kept in the pool at warm-up as the mobile reserve.</summary>
    [Range(0.0, 1.0, ErrorMessage = "Allocation:ReserveRatio must be between 0 and 1.")]
    public double ReserveRatio { get; set; } = 0.2;

    /// <summary>
    /// Smallest refill a hungry shard takes from the pool, as a share of the sale's stock, so that
    /// a busy shard does not come back for every unit.
    /// </summary>
    [Range(0.0, 1.0, ErrorMessage = "Allocation:RefillRatio must be between 0 and 1.")]
    public double RefillRatio { get; set; } = 0.05;

    public AllocationSplit Split { get; set; } = AllocationSplit.Even;

    /// <summary>
    /// Low watermark: a shard whose available units last fewer seconds than this at its sell rate
    /// asks for more at once, before it is empty (a shard that sells nothing is never low).
    /// </summary>
    [Range(0.0, 3600.0, ErrorMessage = "Allocation:LowWatermarkSeconds must be between 0 and 3600.")]
    public double LowWatermarkSeconds { get; set; } = 2;

    /// <summary>What a refill or rebalance aims to leave a shard with, in seconds of its sell rate.</summary>
    [Range(0.0, 3600.0, ErrorMessage = "Allocation:TargetSeconds must be between 0 and 3600.")]
    public double TargetSeconds { get; set; } = 5;

    /// <summary>
    /// High watermark: while the sale sells somewhere, a shard holding more than this many seconds
    /// of its own sell rate returns the excess over <see cref="TargetSeconds"/> to the pool (an idle
    /// shard returns everything).
    /// </summary>
    [Range(0.0, 3600.0, ErrorMessage = "Allocation:HighWatermarkSeconds must be between 0 and 3600.")]
    public double HighWatermarkSeconds { get; set; } = 20;

    /// <summary>
    /// End game: once the pool is empty and fewer units than this are left on the shards, they are
    /// gathered on one shard and every instance reserves there, so the last units sell and an order of
    /// several units is filled from stock that was scattered.
    /// </summary>
    [Range(0, int.MaxValue, ErrorMessage = "Allocation:EndgameThreshold must not be negative.")]
    public int EndgameThreshold { get; set; } = 50;

    /// <summary>
    /// False: static pre-allocation (seed A's "预分配" without rebalancing), kept to measure what
    /// the allocator saves: shards are refilled from the pool only, never from each other, no
    /// excess returns to the pool and there is no end game — stock left on a quiet shard stays there.
    /// </summary>
    public bool Rebalance { get; set; } = true;

    /// <summary>A move left half done (its mover died) for this long is finished by the periodic rebalance.</summary>
    public TimeSpan ResumeMovesAfter { get; set; } = TimeSpan.FromSeconds(5);
}
