using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using Microsoft.Extensions.Options;

namespace Seckill.Web.Ops;

/// <summary>Section <c>Rehearsal</c>: the sale an instance rehearses before it starts (<see cref="StartupRehearsal"/>).</summary>
public sealed class RehearsalOptions
{
    public const string Section = "Rehearsal";

    /// <summary>Off: the instance starts at once, and its first sale compiles the purchase path while buyers wait.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Buyers of the rehearsal sale. Each path must run some dozens of times before the runtime optimises it.</summary>
    [Range(1, 100_000, ErrorMessage = "Rehearsal:Buyers must be between 1 and 100000.")]
    public int Buyers { get; set; } = 1_500;

    /// <summary>Units of the rehearsal sale: its first buyers win (and follow their orders, half of them pay), the rest are told sold out.</summary>
    [Range(1, 100_000, ErrorMessage = "Rehearsal:Stock must be between 1 and 100000.")]
    public int Stock { get; set; } = 500;

    /// <summary>The longest the rehearsal may hold up the start; past it the instance starts anyway.</summary>
    [Range(1, 600, ErrorMessage = "Rehearsal:TimeoutSeconds must be between 1 and 600.")]
    public int TimeoutSeconds { get; set; } = 60;
}

/// <summary>
/// Before any of the instance starts, rehearses a flash sale on a private twin of it
/// (<see cref="RehearsalTwin"/>): the same code, composed the same way (<see cref="TwinComposition"/>, from <c>Program</c>),
/// with in-process stock and a throwaway SQLite file, on a loopback port of its own. The twin is
/// stopped and deleted before the instance opens its storage, so the rehearsal leaves nothing in
/// the instance's database, Redis, metrics or logs.
/// </summary>
/// <remarks>
/// Why: the runtime compiles a method when it first runs, and optimises it only after it has run
/// some dozens of times. Without a rehearsal, the first sale of a process does both in its first
/// seconds, for the whole winners' path (reservation, order writer, confirmation, polls,
/// payments): 2,210 methods and 1.47 s of JIT time in the sale's first 4 s, measured with
/// <c>dotnet-counters</c> (BENCHMARKS.md section 14). Compiled code belongs to the process, so
/// what the twin runs is ready for the instance. A clustered instance's twin is clustered too, on
/// the instance's own servers in a place of its own (<see cref="IRehearsalPlace"/>): the paths that
/// wait for Redis and MySQL are compiled there and not in the first second of the first sale, where
/// they tipped clustered sales into collapse (BENCHMARKS.md section 21).
/// A rehearsal that fails or times out is logged and the instance starts anyway: it only makes
/// the first sale faster, and must never keep an instance from serving.
/// </remarks>
public sealed partial class StartupRehearsal(IOptions<RehearsalOptions> options, TwinComposition composition, ILogger<StartupRehearsal> log,
    IRehearsalPlace? place = null) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (!settings.Enabled)
        {
            return;
        }
        var started = Stopwatch.GetTimestamp();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(settings.TimeoutSeconds));
        try
        {
            var sale = await RehearsalTwin.RunAsync(settings, composition, place, timeout.Token);
            LogRehearsed(sale.OnTheServers ? "on the instance's servers" : "in process", sale.Buyers, sale.Orders, sale.Paid, sale.SoldOut,
                (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            LogRehearsalFailed(e, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Rehearsed the purchase path on a private twin {Where} in {ElapsedMs} ms: {Buyers} buyers, {Orders} orders, {Paid} paid, {SoldOut} told sold out")]
    private partial void LogRehearsed(string where, int buyers, int orders, int paid, int soldOut, long elapsedMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The startup rehearsal failed after {ElapsedMs} ms; starting anyway (the first sale compiles the purchase path)")]
    private partial void LogRehearsalFailed(Exception e, long elapsedMs);
}

/// <summary>How the instance is composed (<c>Program</c>'s features and pipeline), for the twin to be composed alike.</summary>
public sealed record TwinComposition(Action<WebApplicationBuilder> Features, Action<WebApplication> Pipeline);

public static class RehearsalSetup
{
    /// <summary>Registered before every feature, so that it runs before any of them starts.</summary>
    public static WebApplicationBuilder AddStartupRehearsal(this WebApplicationBuilder builder, Action<WebApplicationBuilder> features, Action<WebApplication> pipeline)
    {
        builder.Services.AddOptions<RehearsalOptions>().BindConfiguration(RehearsalOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton(new TwinComposition(features, pipeline));
        builder.Services.AddHostedService<StartupRehearsal>();
        return builder;
    }
}
