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

        await WarmUpAsync(options, buyers, saleId, cancellationToken);

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
            new ArrivalOutcome(startedAt, scheduleSeconds, unfinished, runner.Overflowed, runner.DispatchLag, toolCpu), verification);
    }

    /// <summary>Opens all the buyers' connections (<see cref="ClientPool.OpenConnectionsAsync"/>), then warms
    /// both sides' code paths with sale reads at the target rate, at most one per address per second
    /// so the warm-up never eats the buyers' rate limit.</summary>
    private static async Task WarmUpAsync(LoadOptions options, ClientPool buyers, long saleId, CancellationToken cancellationToken)
    {
        if (options.Warmup <= TimeSpan.Zero)
        {
            return;
        }
        await buyers.OpenConnectionsAsync(cancellationToken);
        var rate = Math.Min(options.Rate, buyers.Addresses);
        var warmup = new ArrivalSchedule(rate, long.MaxValue, options.Warmup);
        var recorder = new Recorder(Stopwatch.GetTimestamp(), ["warm-up"]);
        var sender = new Sender(recorder);
        var call = new Call("warm-up", HttpMethod.Get, $"/api/sales/{saleId}");
        await new OpenModelRunner(warmup, recorder, options.MaxInFlight).RunAsync(
            (i, due) => sender.SendAsync(buyers.For(i), call, due, isArrival: true, static r => r.Status == 200),
            (_, _) => Task.CompletedTask, options.DrainTimeout, cancellationToken);
    }
}
