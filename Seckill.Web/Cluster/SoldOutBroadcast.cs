using System.Data.Common;
using System.Globalization;
using Seckill.Web.Stock;

namespace Seckill.Web.Cluster;

/// <summary>
/// The sold-out broadcast between instances (ARCHITECTURE §3, "sold out is global"): messages
/// <c>sold_out:{sale}</c> and <c>stock_back:{sale}</c> on the cluster's channel.
/// </summary>
/// <remarks>
/// "Sold out" from another instance is a hint, not an order: this instance sets its flag only if
/// the pool and its own shard are empty too and no transfer is on its way, read after the flag's
/// word, so a concurrent return of stock still wins. "Stock back" clears the flag at once.
/// </remarks>
public sealed partial class SoldOutBroadcast(
    IClusterChannel channel, SoldOutBoard board, IStockPool pool, IShardRouter shards, ILogger<SoldOutBroadcast> log)
    : ISoldOutBroadcast, IHostedService
{
    private const string SoldOutPrefix = "sold_out:";
    private const string StockBackPrefix = "stock_back:";

    public void SoldOut(long saleId) => channel.Publish(SoldOutPrefix + saleId.ToString(CultureInfo.InvariantCulture));

    public void StockBack(long saleId) => channel.Publish(StockBackPrefix + saleId.ToString(CultureInfo.InvariantCulture));

    public Task StartAsync(CancellationToken cancellationToken) => channel.SubscribeAsync(OnMessageAsync);

    public Task StopAsync(CancellationToken cancellationToken) => channel.UnsubscribeAsync(OnMessageAsync);

    /// <summary>Applies one message to this instance's board (public for tests that play another instance).</summary>
    public async Task OnMessageAsync(string message)
    {
        try
        {
            if (message.StartsWith(StockBackPrefix, StringComparison.Ordinal) &&
                long.TryParse(message.AsSpan(StockBackPrefix.Length), CultureInfo.InvariantCulture, out var back))
            {
                board.StockReturned(back);
            }
            else if (message.StartsWith(SoldOutPrefix, StringComparison.Ordinal) &&
                long.TryParse(message.AsSpan(SoldOutPrefix.Length), CultureInfo.InvariantCulture, out var saleId) &&
                !board.IsSoldOut(saleId, out var observed) &&
                await pool.GetAsync(saleId) == 0 &&
                (await pool.ListInTransitAsync(saleId)).Count == 0 &&
                (await shards.Local.GetAsync(saleId)).Available == 0)
            {
                board.TryMarkSoldOut(saleId, observed);
            }
        }
        catch (Exception e) when (e is StockUnavailableException or DbException)
        {
            LogIgnored(e, message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sold-out message {Message} ignored: the stores did not answer")]
    private partial void LogIgnored(Exception e, string? message);
}
