using System.ComponentModel.DataAnnotations;

namespace Seckill.Web.Gate;

/// <summary>Section <c>Overload</c>: when the instance refuses new purchases to stay fast (<see cref="LoadShedder"/>).</summary>
public sealed class OverloadOptions
{
    public const string Section = "Overload";

    /// <summary>Off: purchases queue however long the wait (for measuring the service without it).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The queueing delay the instance tolerates: work that waits longer than this for a thread, through a whole interval, means overload.</summary>
    [Range(1, 10_000, ErrorMessage = "Overload:TargetDelayMs must be between 1 and 10000.")]
    public int TargetDelayMs { get; set; } = 10;

    /// <summary>How long the delay must stay above the target before purchases are shed, and how often that is decided again.</summary>
    [Range(10, 60_000, ErrorMessage = "Overload:IntervalMs must be between 10 and 60000.")]
    public int IntervalMs { get; set; } = 100;

    /// <summary>
    /// How far behind the order writer may fall: while the oldest order it has not written yet has
    /// waited longer than this, purchases that would reserve stock are shed too.
    /// </summary>
    [Range(1, 600_000, ErrorMessage = "Overload:MaxOrderWaitMs must be between 1 and 600000.")]
    public int MaxOrderWaitMs { get; set; } = 200;

    /// <summary>How often the thread pool's queueing delay is sampled.</summary>
    [Range(1, 1_000, ErrorMessage = "Overload:ProbeEveryMs must be between 1 and 1000.")]
    public int ProbeEveryMs { get; set; } = 5;
}
