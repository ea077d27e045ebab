using System.Globalization;
using System.Net;
using System.Text;

namespace Seckill.Load.Reports;

/// <summary>
/// The report as one self-contained HTML file: no scripts, no external styles or fonts, the
/// charts drawn as inline SVG (rate per second and arrival p99 per second), so it opens anywhere
/// and can be attached to a ticket as it is. It is also well-formed XML (XHTML syntax), which the
/// tests check.
/// </summary>
public static class HtmlReport
{
    public static string Render(Report r)
    {
        var s = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        s.AppendLine("<!DOCTYPE html>");
        s.AppendLine("<html lang=\"en\"><head><meta charset=\"utf-8\"/>");
        s.AppendLine(c, $"<title>Seckill load run: {E(r.Settings.Scenario)} {E(r.Verdict)}</title>");
        s.AppendLine("<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;margin:1em 0}" +
            "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}" +
            ".pass{color:#070}.fail{color:#b00}svg{background:#fafafa;border:1px solid #ddd}</style>");
        s.AppendLine("</head><body>");
        s.AppendLine(c, $"<h1>Seckill load run: {E(r.Settings.Scenario)} {E(r.Label)} — <span class=\"{(r.Passed && r.LatencyMet ? "pass" : "fail")}\">{E(r.Verdict)}</span></h1>");
        s.AppendLine("<ul>");
        s.AppendLine(c, $"<li>service {E(r.Settings.Target)} ({E(r.Service)}), sale {r.SaleId} with {r.Settings.Stock} units, started {r.StartedAt:u}</li>");
        s.AppendLine(c, $"<li>{r.ArrivalsSent} arrivals scheduled at {r.TargetRate}/s over {r.ScheduleSeconds:0.###} s; achieved {r.AchievedRate:0.0}/s</li>");
        s.AppendLine(c, $"<li>{r.Requests} requests, {r.Errors} errors ({r.ErrorRate:P3}), {r.Unfinished} unfinished, {r.Overflowed} not sent</li>");
        s.AppendLine(c, $"<li>dispatch lag of the tool: p50 {r.DispatchLag.P50} ms, p99 {r.DispatchLag.P99} ms</li>");
        s.AppendLine("</ul>");

        s.AppendLine("<h2>Rate per second</h2>");
        s.AppendLine(Chart(r.Timeline.Select(t => (double)t.Sent).ToList(), r.Timeline.Select(t => (double)t.Completed).ToList(), "arrivals sent", "answers", "requests/s"));
        s.AppendLine("<h2>Arrival p99 per second (ms)</h2>");
        s.AppendLine(Chart(r.Timeline.Select(t => t.P99Ms).ToList(), null, "p99", null, "ms"));

        s.AppendLine("<h2>Latency (ms)</h2><p>Latency from each request's intended send time; service time from the moment it was sent.</p>");
        s.AppendLine("<table><tr><th>operation</th><th>measure</th><th>count</th><th>p50</th><th>p75</th><th>p90</th><th>p95</th><th>p99</th><th>p99.9</th><th>max</th><th>mean</th></tr>");
        foreach (var o in r.Operations)
        {
            foreach (var (measure, l) in new[] { ("latency", o.Latency), ("service time", o.ServiceTime) })
            {
                s.AppendLine(c, $"<tr><td>{E(o.Name)}</td><td>{measure}</td><td>{l.Count}</td><td>{l.P50}</td><td>{l.P75}</td><td>{l.P90}</td><td>{l.P95}</td><td>{l.P99}</td><td>{l.P999}</td><td>{l.Max}</td><td>{l.Mean}</td></tr>");
            }
        }
        s.AppendLine("</table>");

        s.AppendLine("<h2>Answers</h2><table><tr><th>operation</th><th>answer</th><th>count</th></tr>");
        foreach (var o in r.Operations)
        {
            foreach (var (answer, count) in o.Outcomes)
            {
                s.AppendLine(c, $"<tr><td>{E(o.Name)}</td><td>{E(answer)}</td><td>{count}</td></tr>");
            }
            s.AppendLine(c, $"<tr><td>{E(o.Name)}</td><td><b>errors</b></td><td>{o.Errors}</td></tr>");
        }
        s.AppendLine("</table>");

        foreach (var (title, checks) in new[] { ("Verification", r.Verification?.Checks ?? []), ("Thresholds", r.Thresholds) })
        {
            if (checks.Count == 0)
            {
                continue;
            }
            s.AppendLine(c, $"<h2>{title}</h2><ul>");
            foreach (var check in checks)
            {
                s.AppendLine(c, $"<li class=\"{(check.Passed ? "pass" : "fail")}\">{(check.Passed ? "PASS" : "FAIL")} {E(check.Name)}: {E(check.Detail)}</li>");
            }
            s.AppendLine("</ul>");
        }
        s.AppendLine("</body></html>");
        return s.ToString();
    }

    /// <summary>A line chart of one or two series over the run's seconds.</summary>
    internal static string Chart(IReadOnlyList<double> first, IReadOnlyList<double>? second, string firstName, string? secondName, string unit)
    {
        const int width = 900, height = 260, left = 60, right = 20, top = 20, bottom = 40;
        var c = CultureInfo.InvariantCulture;
        var max = Math.Max(1e-9, first.Concat(second ?? []).DefaultIfEmpty(0).Max());
        var n = Math.Max(2, first.Count);
        double X(int i) => left + (i * (width - left - right) / (double)(n - 1));
        double Y(double v) => top + ((height - top - bottom) * (1 - (v / max)));
        string Points(IReadOnlyList<double> series) => string.Join(' ', series.Select((v, i) => string.Create(c, $"{X(i):0.#},{Y(v):0.#}")));

        var s = new StringBuilder();
        s.AppendLine(c, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\">");
        s.AppendLine(c, $"<line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{height - bottom}\" stroke=\"#444\"/>");
        s.AppendLine(c, $"<line x1=\"{left}\" y1=\"{height - bottom}\" x2=\"{width - right}\" y2=\"{height - bottom}\" stroke=\"#444\"/>");
        s.AppendLine(c, $"<text x=\"{left - 5}\" y=\"{top + 4}\" text-anchor=\"end\" font-size=\"11\">{max:0.##}</text>");
        s.AppendLine(c, $"<text x=\"{left - 5}\" y=\"{height - bottom}\" text-anchor=\"end\" font-size=\"11\">0</text>");
        s.AppendLine(c, $"<text x=\"{left}\" y=\"{height - 20}\" font-size=\"11\">0 s</text>");
        s.AppendLine(c, $"<text x=\"{width - right}\" y=\"{height - 20}\" text-anchor=\"end\" font-size=\"11\">{n - 1} s</text>");
        s.AppendLine(c, $"<text x=\"{left + 10}\" y=\"{height - 5}\" font-size=\"11\">{E(unit)}: <tspan fill=\"#1f6fb4\">— {E(firstName)}</tspan>{(secondName is null ? "" : $" <tspan fill=\"#d2691e\">— {E(secondName)}</tspan>")}</text>");
        s.AppendLine(c, $"<polyline fill=\"none\" stroke=\"#1f6fb4\" stroke-width=\"2\" points=\"{Points(first)}\"/>");
        if (second is not null)
        {
            s.AppendLine(c, $"<polyline fill=\"none\" stroke=\"#d2691e\" stroke-width=\"2\" stroke-dasharray=\"5,3\" points=\"{Points(second)}\"/>");
        }
        s.AppendLine("</svg>");
        return s.ToString();
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
