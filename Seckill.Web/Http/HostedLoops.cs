namespace Seckill.Web.Http;

/// <summary>What the background services' periodic loops share.</summary>
public static class HostedLoops
{
    /// <summary>
    /// Waits for the timer's next tick; false once the service is stopping, instead of an
    /// <see cref="OperationCanceledException"/>.
    /// </summary>
    /// <remarks>
    /// A host that fails to start (its port taken, a store away) disposes its services without
    /// stopping them. A service that then ends with the cancellation is reported by the host as a
    /// crashed background service, an Error and a Critical line after the real cause; ending
    /// quietly leaves the cause as the only error in the log.
    /// </remarks>
    public static async ValueTask<bool> NextTickAsync(this PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
