using System.ComponentModel.DataAnnotations;

namespace Seckill.Web.Allocation;

/// <summary>Section <c>Allocation</c>: how a sale's stock is spread between the pool and the shards.</summary>
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
}
