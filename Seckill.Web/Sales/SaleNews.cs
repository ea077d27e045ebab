using Seckill.Web.Cluster;

namespace Seckill.Web.Sales;

/// <summary>
/// What one instance learns about a sale, every instance learns at once: when a sale is created
/// (and, later, changed or ended) here, message <c>sale:{id}</c> goes out on the cluster's
/// channel, and every instance that hears it re-reads the sale from storage and makes it known
/// (<see cref="SaleDirectory.Know"/>). Without it, another instance would answer
/// <c>404 sale_not_found</c> until its next refresh (<c>Gate:SaleRefreshInterval</c>).
/// </summary>
/// <remarks>
/// The bound: the message is published before the admin call returns, and a receiver applies
/// it as soon as it arrives, one pub/sub hop and one database read later. The message names the
/// sale and carries nothing else, so a receiver always applies what storage holds, never a stale
/// copy; receipts are applied one at a time, and one at a time with the periodic refresh
/// (<see cref="SaleDirectory.ReloadAsync"/>), so two quick changes of one sale cannot land in the
/// wrong order. A message lost (the shared Redis briefly away) is caught by the periodic refresh
/// (<see cref="SaleRefresher"/>).
/// </remarks>
public sealed partial class SaleNews(IClusterChannel channel, SaleDirectory directory, ILogger<SaleNews> log)
    : IHostedService
{
    private const string Kind = "sale:";

    /// <summary>
    /// The sale was created, changed or ended on this instance (after storage has it, and after
    /// this instance's own directory knows it): tells every other instance to re-read it.
    /// </summary>
    public void Changed(long saleId) => channel.Publish(ClusterMessage.Format(Kind, saleId));

    // Subscribed before the directory loads (registered before SaleRefresher): a sale created
    // meanwhile is either in the load or in a message, never in neither.
    public Task StartAsync(CancellationToken cancellationToken) => channel.SubscribeAsync(OnMessageAsync);

    public Task StopAsync(CancellationToken cancellationToken) => channel.UnsubscribeAsync(OnMessageAsync);

    /// <summary>Applies one message from the channel; other kinds and junk are ignored.</summary>
    public async Task OnMessageAsync(string message)
    {
        if (!ClusterMessage.TryParse(message, Kind, out var saleId))
        {
            return;
        }
        try
        {
            if (await directory.ReloadAsync(saleId, CancellationToken.None) is null)
            {
                LogNotStored(saleId);
            }
        }
        catch (Exception error)
        {
            // Nobody awaits a message: log, and leave it to the periodic refresh.
            LogFailed(error, saleId);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "News of sale {SaleId} ignored: storage has no such sale")]
    private partial void LogNotStored(long saleId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "News of sale {SaleId} not applied: reading it failed; the periodic refresh will catch up")]
    private partial void LogFailed(Exception error, long saleId);
}
