using Seckill.Web.Http;

namespace Seckill.Web.Jobs;

/// <summary>
/// Runs the reclaim (<see cref="ReclaimJob"/>) every second on every instance, besides its Hangfire
/// recurring job. Hangfire's scheduler and its queues sit behind locks in the pool Redis that an
/// instance killed while holding one keeps for up to 30 s, and a kill is exactly when the reclaim
/// must not wait. Runs on several instances at once do no harm: each reclaim of an instance takes
/// that instance's lock without waiting, so one of them does it. Its runs are logged, not listed
/// on the dashboard.
/// </summary>
public sealed partial class ReclaimWatch(IServiceScopeFactory scopes, ILogger<ReclaimWatch> log) : BackgroundService
{
    private static readonly TimeSpan Every = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Every);
        while (await timer.NextTickAsync(stoppingToken))
        {
            try
            {
                using var scope = scopes.CreateScope();
                await scope.ServiceProvider.GetRequiredService<ReclaimJob>().RunAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The pool Redis or the database away: the next tick tries again.
                LogFailed(e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Looking for dead instances to reclaim failed; trying again in a second")]
    private partial void LogFailed(Exception e);
}
