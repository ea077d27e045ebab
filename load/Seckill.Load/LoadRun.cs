using System.Diagnostics;
using Seckill.Load.Drive;
using Seckill.Load.Measure;
using Seckill.Load.Reports;
using Seckill.Load.Scenarios;
using Seckill.Load.Verify;

namespace Seckill.Load;

/// <summary>
/// One run of the tool: create the sale, warm up, drive the scenario on its schedule with the
/// progress line showing, verify the sale against what the buyers were told, and report.
/// </summary>
public static class LoadRun
{
    public static async Task<Report> RunAsync(LoadOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        var tokens = new TokenMint(options.SigningKey, options.Issuer, options.Audience);
        using var adminClient = new HttpClient { BaseAddress = options.Target, Timeout = options.Timeout };
        var admin = new AdminApi(adminClient, tokens);
        var service = await admin.ReadyAsync(cancellationToken);
        var saleId = await admin.CreateSaleAsync(options.Stock, $"load {options.Scenario} {options.Label}".Trim(), cancellationToken);
        log.WriteLine($"sale {saleId}: {options.Stock} units at {options.Target}; {options.Scenario} at {options.Rate}/s");

        using var buyers = new ClientPool(options.Target, options.Addresses, firstAddress: 0, options.Timeout, options.ConnectionsPerAddress);
        // Bots come from their own addresses, after the buyers'.
        using var bots = new ClientPool(options.Target, options.BotAddresses, firstAddress: options.Addresses, options.Timeout, options.ConnectionsPerAddress);
        if (buyers.Addresses == 1)
        {
            log.WriteLine($"note: {options.Target.Host} is not a loopback address, so every buyer comes from this machine's one address; " +
                "raise the service's per-address limit (RateLimits__PerIp__PermitsPerSecond) or most requests will be 429.");
        }
        var schedule = new ArrivalSchedule(options.Rate, options.Requests, options.Duration);

        var warmUp = await WarmUpAsync(options, buyers, tokens, saleId, cancellationToken);

        var recorder = new Recorder(Stopwatch.GetTimestamp(), Scenario.Operations);
        var run = new SaleRun(options, new Sender(recorder), tokens, saleId, buyers, bots);
        var scenario = Scenario.Create(run);
        var runner = new OpenModelRunner(schedule, recorder, options.MaxInFlight);
        var startedAt = DateTimeOffset.UtcNow;

        using var stopProgress = new CancellationTokenSource();
        var progress = new Progress(recorder, options.Rate, schedule.Total, log).ShowAsync(stopProgress.Token);
        var cpuBefore = Environment.CpuUsage.TotalTime;
        var unfinished = await runner.RunAsync(scenario.ArrivalAsync, scenario.OverflowAsync, options.DrainTimeout, cancellationToken);
        var toolCpu = Environment.CpuUsage.TotalTime - cpuBefore;
        var scheduleSeconds = (Stopwatch.GetTimestamp() - recorder.StartTimestamp) / (double)Stopwatch.Frequency;
        await stopProgress.CancelAsync();
        await progress;

        VerificationResult? verification = null;
        if (options.Verify && scenario.Verifiable)
        {
            log.WriteLine($"verifying {run.Acknowledged.Count} acknowledged orders against the service...");
            verification = await new Verification(admin, run, recorder.Operations.Sum(o => o.Unanswered),
                recorder.Operations.Where(o => o.Name == Scenario.Pay).Sum(o => o.Unanswered)).RunAsync(options.DrainTimeout, cancellationToken);
        }
        if (!options.KeepSale)
        {
            // The run is measured and verified: a service gone by now costs its report nothing.
            try
            {
                await admin.EndSaleAsync(saleId, cancellationToken);
            }
            catch (Exception error) when (error is HttpRequestException || (error is TaskCanceledException && !cancellationToken.IsCancellationRequested))
            {
                log.WriteLine($"note: sale {saleId} was left running, ending it failed: {error.Message}");
            }
        }
        return Report.From(options, service, saleId, recorder,
            new ArrivalOutcome(startedAt, scheduleSeconds, unfinished, runner.Overflowed, runner.DispatchLag, toolCpu, warmUp), verification);
    }

    /// <summary>
    /// Opens all the buyers' connections (<see cref="ClientPool.OpenConnectionsAsync"/>), then warms
    /// both sides' code paths at the target rate, at most one request per address per second so the
    /// warm-up never eats the buyers' rate limit: every other request reads the sale, the others
    /// buy from a sale that does not exist (404 <c>sale_not_found</c>, nothing changes) with the
    /// tokens of users who are not buyers. Without them, the schedule's first arrivals were the first
    /// purchases either side had sent or answered: in a clustered sale at 5,000/s the first 300 ms
    /// had a p99 of 100–190 ms, with the tool's own lag up to 68 ms (BENCHMARKS.md section 40).
    /// </summary>
    /// <returns>How many of each answer the warm-up got, by request ("warm-up purchase: 404 sale_not_found"), for the report.</returns>
    private static async Task<IReadOnlyDictionary<string, long>> WarmUpAsync(LoadOptions options, ClientPool buyers, TokenMint tokens, long saleId, CancellationToken cancellationToken)
    {
        var answers = new SortedDictionary<string, long>(StringComparer.Ordinal);
        if (options.Warmup <= TimeSpan.Zero)
        {
            return answers;
        }
        await buyers.OpenConnectionsAsync(cancellationToken);
        var rate = Math.Min(options.Rate, buyers.Addresses);
        var warmup = new ArrivalSchedule(rate, long.MaxValue, options.Warmup);
        var recorder = new Recorder(Stopwatch.GetTimestamp(), [WarmUpRead, WarmUpPurchase]);
        var sender = new Sender(recorder);
        var read = new Call(WarmUpRead, HttpMethod.Get, $"/api/sales/{saleId}");
        await new OpenModelRunner(warmup, recorder, options.MaxInFlight).RunAsync(
            (i, due) => i % 2 == 0
                ? sender.SendAsync(buyers.For(i), read, due, isArrival: true, static r => r.Status == 200)
                : sender.SendAsync(buyers.For(i), WarmUpPurchaseCall(tokens, i), due, isArrival: true, static r => r.Status == 404),
            (_, _) => Task.CompletedTask, options.DrainTimeout, cancellationToken);
        foreach (var operation in recorder.Operations)
        {
            foreach (var (answer, latencies) in operation.Outcomes)
            {
                answers[$"{operation.Name}: {answer}"] = latencies.Count;
            }
        }
        return answers;
    }

    private const string WarmUpRead = "warm-up read";
    private const string WarmUpPurchase = "warm-up purchase";

    /// <summary>A purchase of a sale that does not exist, by a user who is neither a buyer nor a bot.</summary>
    private static Call WarmUpPurchaseCall(TokenMint tokens, long index) =>
        new(WarmUpPurchase, HttpMethod.Post, $"/api/sales/{Scenario.FirstUnknownSaleId + index}/purchase", SaleRun.OneUnit,
            Token: tokens.For(Scenario.FirstWarmUpUser + (index % Scenario.WarmUpUsers)));
}
