using System.Diagnostics;
using System.Diagnostics.Metrics;
using Hangfire.Server;

namespace Seckill.Web.Jobs;

/// <summary>
/// Every job run on this instance's Hangfire server, on meter <c>Seckill.Jobs</c>:
/// <c>seckill.jobs.runs</c> (tags <c>job</c>: the job's class; <c>outcome</c>: succeeded, failed)
/// and <c>seckill.jobs.duration</c>. A failed run is one that threw (Hangfire retries it later).
/// </summary>
/// <remarks>
/// A server filter of this host's server only (<see cref="JobServer"/>), not of Hangfire's
/// process-wide filters: tests run many hosts in one process. Hangfire calls it from its worker
/// threads; the instruments are thread-safe.
/// </remarks>
public sealed class JobMetrics : IServerFilter
{
    private const string StartedKey = "seckill.started";

    private readonly Counter<long> _runs;
    private readonly Histogram<double> _duration;

    public JobMetrics(IMeterFactory meters)
    {
        var meter = meters.Create("Seckill.Jobs");
        _runs = meter.CreateCounter<long>("seckill.jobs.runs", "{run}", "Job runs on this instance by job and outcome.");
        _duration = meter.CreateHistogram<double>("seckill.jobs.duration", "s", "Duration of job runs on this instance by job.",
            advice: new() { HistogramBucketBoundaries = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60] });
    }

    public void OnPerforming(PerformingContext context) => context.Items[StartedKey] = Stopwatch.GetTimestamp();

    public void OnPerformed(PerformedContext context)
    {
        var job = new KeyValuePair<string, object?>("job", context.BackgroundJob.Job.Type.Name);
        // A cancelled run (the server stopping) is neither a success nor the job's failure.
        if (context.Canceled)
        {
            return;
        }
        var outcome = new KeyValuePair<string, object?>("outcome", context.Exception is null || context.ExceptionHandled ? "succeeded" : "failed");
        _runs.Add(1, job, outcome);
        if (context.Items.TryGetValue(StartedKey, out var started) && started is long timestamp)
        {
            _duration.Record(Stopwatch.GetElapsedTime(timestamp).TotalSeconds, job);
        }
    }
}
