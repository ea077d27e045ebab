using System.ComponentModel.DataAnnotations;

namespace Seckill.Web.Sales;

/// <summary>
/// How a request learns about a sale (<see cref="SaleDirectory"/>): the keys under section
/// <c>Gate</c>, where they have always been, since they are part of refusing junk early.
/// </summary>
public sealed class SaleLookupOptions : IValidatableObject
{
    public const string Section = "Gate";

    /// <summary>Share of absent sale ids the Bloom filter lets through to the caches (and, once a minute, to storage).</summary>
    public double BloomFalsePositiveRate { get; set; } = 0.001;

    /// <summary>Sale ids the Bloom filter is sized for; it is rebuilt larger at startup if the store holds more.</summary>
    public int BloomCapacity { get; set; } = 1_000_000;

    /// <summary>How long "no such sale" is remembered for an id that passed the Bloom filter.</summary>
    public TimeSpan NegativeCacheTtl { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long an ended sale's metadata stays cached after it was read from storage (±10%).</summary>
    public TimeSpan EndedSaleTtl { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often the metadata of running sales is re-read from storage.</summary>
    public TimeSpan SaleRefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long after a sale ends this instance's shard drops its buyers' marks (<see cref="EndedSaleMarks"/>):
    /// long enough for the reservations taken in its last moment to be written, and for the
    /// instances' clocks to agree that it ended.
    /// </summary>
    public TimeSpan EndedSaleMarksKept { get; set; } = TimeSpan.FromMinutes(5);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (BloomFalsePositiveRate is not (> 0 and < 1))
        {
            yield return new("Gate:BloomFalsePositiveRate must be above 0 and below 1.");
        }
        if (BloomCapacity is < 1 or > 100_000_000)
        {
            yield return new("Gate:BloomCapacity must be between 1 and 100000000.");
        }
        if (NegativeCacheTtl < TimeSpan.FromSeconds(1) || NegativeCacheTtl > TimeSpan.FromHours(1))
        {
            yield return new("Gate:NegativeCacheTtl must be between 1 second and 1 hour.");
        }
        if (EndedSaleTtl < TimeSpan.FromSeconds(1) || EndedSaleTtl > TimeSpan.FromDays(1))
        {
            yield return new("Gate:EndedSaleTtl must be between 1 second and 1 day.");
        }
        if (EndedSaleMarksKept < TimeSpan.Zero || EndedSaleMarksKept > TimeSpan.FromDays(1))
        {
            yield return new("Gate:EndedSaleMarksKept must be between 0 and 1 day.");
        }
        if (SaleRefreshInterval < TimeSpan.FromMilliseconds(10) || SaleRefreshInterval > TimeSpan.FromHours(1))
        {
            yield return new("Gate:SaleRefreshInterval must be between 10 ms and 1 hour.");
        }
    }
}
