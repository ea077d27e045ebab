using System.Globalization;
using System.Text;

namespace Seckill.Load.Reports;

/// <summary>The report as Markdown; the console summary is the same text without the per-second table.</summary>
public static class MarkdownReport
{
    public static string Render(Report r, bool timeline = true)
    {
        var s = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        s.AppendLine(c, $"# Seckill load run: {r.Settings.Scenario}{(r.Label.Length > 0 ? " — " + r.Label : "")} — {r.Verdict}");
        s.AppendLine();
        s.AppendLine(c, $"- service: {r.Settings.Target} ({r.Service}), sale {r.SaleId} with {r.Settings.Stock} units, started {r.StartedAt:u}");
        s.AppendLine(c, $"- arrivals: {r.ArrivalsSent} scheduled at {r.TargetRate}/s over {r.ScheduleSeconds:0.###} s (open model, warm-up {r.Settings.WarmupSeconds} s); " +
            $"{r.ArrivalsAnswered} answered; achieved {r.AchievedRate:0.0}/s ({r.AchievedRate / r.TargetRate:P1} of target)");
        if (r.WarmUp.Count > 0)
        {
            s.AppendLine(c, $"- warm-up answers (unrecorded): {string.Join("; ", r.WarmUp.Select(answer => $"{answer.Key} × {answer.Value}"))}");
        }
        s.AppendLine(c, $"- clients: {r.Settings.Addresses} buyer addresses, {r.Settings.BotIdentities} bots on {r.Settings.BotAddresses} addresses; pay share {r.Settings.PayShare}");
        s.AppendLine(c, $"- requests: {r.Requests}, errors {r.Errors} ({r.ErrorRate:P3}); unfinished {r.Unfinished}; not sent (tool over {r.Settings.MaxInFlight} in flight) {r.Overflowed}");
        s.AppendLine(c, $"- the tool's own dispatch lag (part of every latency below): p50 {r.DispatchLag.P50} ms, p99 {r.DispatchLag.P99} ms, max {r.DispatchLag.Max} ms");
        s.AppendLine(c, $"- the tool's own CPU over the schedule: {r.ToolCpuSeconds:0.0} s, {r.ToolCpuSeconds / Math.Max(1e-9, r.ScheduleSeconds):0.00} of a core, " +
            $"{r.ToolCpuSeconds * 1e6 / Math.Max(1, r.Requests):0} µs per request");
        s.AppendLine();
        s.AppendLine("## Latency (ms)");
        s.AppendLine();
        s.AppendLine("Latency runs from each request's intended send time; service time from the moment it was sent.");
        s.AppendLine();
        s.AppendLine("| operation | measure | count | p50 | p75 | p90 | p95 | p99 | p99.9 | max | mean |");
        s.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var o in r.Operations)
        {
            Row(s, o.Name, "latency", o.Latency);
            Row(s, o.Name, "service time", o.ServiceTime);
        }
        s.AppendLine();
        s.AppendLine("## Answers");
        s.AppendLine();
        s.AppendLine("| operation | answer | count | latency p50 (ms) | latency p99 (ms) |");
        s.AppendLine("|---|---|---:|---:|---:|");
        foreach (var o in r.Operations)
        {
            foreach (var (answer, count) in o.Outcomes)
            {
                var latency = o.OutcomeLatency.GetValueOrDefault(answer);
                s.AppendLine(c, $"| {o.Name} | {answer} | {count} | {latency?.P50} | {latency?.P99} |");
            }
            s.AppendLine(c, $"| {o.Name} | **errors** (no answer, 5xx, or not what the scenario expects) | {o.Errors} | | |");
        }
        if (r.Verification is { } v)
        {
            s.AppendLine();
            s.AppendLine(c, $"## Verification: {(v.Passed ? "PASS" : "FAIL")}");
            s.AppendLine();
            foreach (var check in v.Checks)
            {
                s.AppendLine(c, $"- {(check.Passed ? "PASS" : "FAIL")} {check.Name}: {check.Detail}");
            }
        }
        if (r.Thresholds.Count > 0)
        {
            s.AppendLine();
            s.AppendLine("## Thresholds");
            s.AppendLine();
            foreach (var check in r.Thresholds)
            {
                s.AppendLine(c, $"- {(check.Passed ? "PASS" : "FAIL")} {check.Name}: {check.Detail}");
            }
        }
        if (timeline)
        {
            s.AppendLine();
            s.AppendLine("## Per second");
            s.AppendLine();
            s.AppendLine("| second | arrivals sent | answers | errors | arrival p99 (ms) |");
            s.AppendLine("|---:|---:|---:|---:|---:|");
            foreach (var t in r.Timeline)
            {
                s.AppendLine(c, $"| {t.Second} | {t.Sent} | {t.Completed} | {t.Errors} | {t.P99Ms} |");
            }
        }
        s.AppendLine();
        s.AppendLine(c, $"**{r.Verdict}**");
        return s.ToString();
    }

    private static void Row(StringBuilder s, string name, string measure, LatencySummary l) =>
        s.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {measure} | {l.Count} | {l.P50} | {l.P75} | {l.P90} | {l.P95} | {l.P99} | {l.P999} | {l.Max} | {l.Mean} |");
}
