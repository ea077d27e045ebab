using System.Diagnostics;

namespace Seckill.Load.Drive;

/// <summary>
/// Open-model arrivals: arrival i is due at start + i / rate, whatever happened to the
/// arrivals before it — buyers do not wait for each other's answers. The run ends at
/// <see cref="Count"/> arrivals or after <see cref="Duration"/>, whichever comes first.
/// </summary>
public sealed record ArrivalSchedule(double RatePerSecond, long Count, TimeSpan Duration)
{
    public bool Has(long index) => index < Count && index / RatePerSecond < Duration.TotalSeconds;

    public long DueAt(long index, long startTimestamp) => startTimestamp + (long)(index * Stopwatch.Frequency / RatePerSecond);

    /// <summary>How many arrivals the schedule holds.</summary>
    public long Total => (long)Math.Min(Count, Math.Ceiling(Duration.TotalSeconds * RatePerSecond));
}
