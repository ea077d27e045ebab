using System.ComponentModel.DataAnnotations;

namespace Seckill.Web.Jobs;

/// <summary>Section <c>Jobs</c>: the job engine of every instance and the schedules of the jobs.</summary>
public sealed class JobsOptions
{
    public const string Section = "Jobs";

    /// <summary>Jobs one instance runs at once. The jobs are short and few; more workers only cost threads.</summary>
    [Range(1, 32, ErrorMessage = "Jobs:WorkerCount must be between 1 and 32.")]
    public int WorkerCount { get; set; } = 2;

    /// <summary>
    /// How often an instance looks for recurring and delayed jobs that are due: the finest grain a
    /// schedule has (Hangfire's default, 15 s, would make a per-second schedule run every 15 s).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00", ErrorMessage = "Jobs:SchedulePollingInterval must be between 100 ms and 1 minute.")]
    public TimeSpan SchedulePollingInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// When the expire job runs: a cron expression, with seconds when it has six fields
    /// (default every second). <c>0 0 31 2 *</c> (never) turns automatic expiry off.
    /// </summary>
    [Required(ErrorMessage = "Jobs:Expire is required (a cron expression).")]
    public string Expire { get; set; } = "* * * * * *";

    /// <summary>When the periodic rebalance runs (cron; default every 2 seconds). Low-watermark refills do not wait for it.</summary>
    [Required(ErrorMessage = "Jobs:Rebalance is required (a cron expression).")]
    public string Rebalance { get; set; } = "*/2 * * * * *";

    /// <summary>When dead instances are looked for and reclaimed (cron; default every second).</summary>
    [Required(ErrorMessage = "Jobs:Reclaim is required (a cron expression).")]
    public string Reclaim { get; set; } = "* * * * * *";

    /// <summary>When each shard's reconcile job runs (cron; default every minute).</summary>
    [Required(ErrorMessage = "Jobs:Reconcile is required (a cron expression).")]
    public string Reconcile { get; set; } = "0 * * * * *";
}
