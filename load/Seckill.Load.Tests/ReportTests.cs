using System.Diagnostics;
using System.Text.Json;
using System.Xml;
using System.Xml.Linq;
using Seckill.Load.Measure;
using Seckill.Load.Reports;
using Seckill.Load.Scenarios;
using Seckill.Load.Verify;

namespace Seckill.Load.Tests;

public sealed class ReportTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "seckill-load-report-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    /// <summary>A report from a recorder fed by hand: three seconds of purchases, some refused,
    /// one error, a verification with one failed check, and every threshold set.</summary>
    private static Report Sample(LoadOptions? options = null)
    {
        var start = Stopwatch.GetTimestamp();
        var recorder = new Recorder(start, Scenario.Operations);
        var f = Stopwatch.Frequency;
        for (var i = 0; i < 3000; i++)
        {
            var due = start + (i * f / 1000);
            recorder.ArrivalSent(due);
            recorder.RequestStarted();
            var outcome = i < 100 ? new Outcome(201, null) : i == 2999 ? new Outcome(0, "timeout") : new Outcome(409, "sold_out");
            recorder.RequestDone(Scenario.Purchase, due, due, due + ((1 + (i % 50)) * f / 1000), outcome, unexpected: outcome.Status == 0, isArrival: true);
        }
        recorder.RequestStarted();
        recorder.RequestDone(Scenario.Pay, start, start, start + (f / 100), new Outcome(200, null), unexpected: false, isArrival: false);
        var verification = new VerificationResult(
            [new Check("sold ≤ stock", true, "sold 100 of 100"), new Check("every acknowledged order found", false, "1 <missing> & \"quoted\"")],
            null, new Dictionary<string, long> { ["awaiting_payment"] = 99 });
        options ??= new LoadOptions { Rate = 1000, Requests = 3000, Stock = 100, MaxP99Ms = 10, MinRate = 500, MaxErrorRate = 0.01, Label = "unit <test>" };
        return Report.From(options, "Healthy", 7, recorder, new ArrivalOutcome(DateTimeOffset.UtcNow, 3.0, 0, 0, new Histogram(), TimeSpan.FromSeconds(1.5), new Dictionary<string, long>()), verification);
    }

    [Fact]
    public void FilesAreWrittenAndWellFormed()
    {
        var report = Sample();
        var files = ReportFiles.Write(report, _folder);
        Assert.Equal(["report.md", "report.html", "report.json"], files.Select(Path.GetFileName));

        // JSON: parses, and carries the figures.
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(_folder, "report.json")));
        var purchase = json.RootElement.GetProperty("operations").EnumerateArray().Single(o => o.GetProperty("name").GetString() == "purchase");
        Assert.Equal(3000, purchase.GetProperty("requests").GetInt64());
        Assert.Equal(1, purchase.GetProperty("errors").GetInt64());
        Assert.Equal(2899, purchase.GetProperty("outcomes").GetProperty("409 sold_out").GetInt64());
        Assert.Equal(report.Operation("purchase")!.Latency.P99, purchase.GetProperty("latency").GetProperty("p99").GetDouble());
        // The last answers come in the fourth second.
        Assert.Equal(4, json.RootElement.GetProperty("timeline").GetArrayLength());
        Assert.False(json.RootElement.GetProperty("verification").GetProperty("passed").GetBoolean());

        // HTML: well-formed, self-contained, with the two charts drawn over the run's seconds.
        var html = XDocument.Load(XmlReader.Create(Path.Combine(_folder, "report.html"), new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore }));
        XNamespace svg = "http://www.w3.org/2000/svg";
        var charts = html.Descendants(svg + "svg").ToList();
        Assert.Equal(2, charts.Count);
        var rate = charts[0].Elements(svg + "polyline").ToList();
        Assert.Equal(2, rate.Count); // arrivals sent and answers
        Assert.All(rate, line => Assert.Equal(4, line.Attribute("points")!.Value.Split(' ').Length));
        Assert.DoesNotContain(html.Descendants(), e => e.Name.LocalName is "script" or "link" or "img");
        Assert.DoesNotContain(html.Descendants().Attributes(), a => a.Name.LocalName is "src" or "href");
        Assert.Contains("1 <missing> & \"quoted\"", html.Root!.Value);

        // Markdown: every table row has its header's number of cells.
        var markdown = File.ReadAllLines(Path.Combine(_folder, "report.md"));
        Assert.StartsWith("# Seckill load run: flash-sale — unit <test> — correctness FAIL, latency p99 ", markdown[0]);
        var header = 0;
        foreach (var line in markdown)
        {
            if (!line.StartsWith('|'))
            {
                header = 0;
                continue;
            }
            var cells = line.Count(c => c == '|');
            if (header == 0)
            {
                header = cells;
            }
            Assert.Equal(header, cells);
        }
        Assert.Contains(markdown, l => l == "- FAIL every acknowledged order found: 1 <missing> & \"quoted\"");
        // Latency by answer: the one payment took 10 ms.
        Assert.Contains(markdown, l => l == "| pay | 200 | 1 | 10 | 10 |");
        // 1.5 s of the tool's CPU over a 3 s schedule.
        Assert.Contains(markdown, l => l.StartsWith("- the tool's own CPU over the schedule: 1.5 s, 0.50 of a core, ", StringComparison.Ordinal));
    }

    [Fact]
    public void ThresholdsAndVerificationSetTheExitCode()
    {
        var failedVerification = Sample();
        Assert.Equal(1, failedVerification.ExitCode); // the verification failed: FAIL wins over thresholds
        Assert.StartsWith("correctness FAIL, latency p99 ", failedVerification.Verdict);

        var report = Sample() with { Verification = null };
        // The sample's p99 is 50 ms against --max-p99 10, and 1 error in 3001 requests is under 1%.
        Assert.Equal([false, true, true], report.Thresholds.Select(t => t.Passed));
        Assert.Equal(2, report.ExitCode);
        Assert.EndsWith("; thresholds FAIL: purchase p99 ≤ 10 ms", report.Verdict);

        var relaxed = Sample(new LoadOptions { Rate = 1000, MaxP99Ms = 100, MaxErrorRate = 0.0001 }) with { Verification = null };
        Assert.Equal([true, false], relaxed.Thresholds.Select(t => t.Passed));
        Assert.Equal(2, relaxed.ExitCode);

        var none = Sample(new LoadOptions()) with { Verification = null };
        Assert.Empty(none.Thresholds);
        Assert.Equal(0, none.ExitCode);
        Assert.StartsWith("correctness not verified, latency p99 ", none.Verdict);
    }

    /// <summary>"PASS with an 8.7 s p99" must not read as a success: the verdict names the latency against its objective.</summary>
    [Fact]
    public void TheVerdictNamesTheLatencyBesideTheCorrectness()
    {
        var passed = new VerificationResult([new Check("sold ≤ stock", true, "sold 100 of 100")], null, new Dictionary<string, long>());
        // The sample's purchases took 1 to 50 ms: p99 about 50 ms.
        var slow = Sample(new LoadOptions { P99ObjectiveMs = 10 }) with { Verification = passed };
        Assert.Matches(@"^correctness PASS, latency p99 5\d(\.\d)? ms over the objective 10 ms$", slow.Verdict);
        Assert.False(slow.LatencyMet);
        Assert.Equal(0, slow.ExitCode); // the objective is reported; --max-p99 is the gate

        var fast = Sample(new LoadOptions { P99ObjectiveMs = 8000 }) with { Verification = passed };
        Assert.Matches(@"^correctness PASS, latency p99 5\d(\.\d)? ms within the objective 8 s$", fast.Verdict);
        Assert.True(fast.LatencyMet);
    }
}
