using System.Globalization;
using Seckill.Web.Allocation;
using Seckill.Web.Stock;
using StackExchange.Redis;

namespace Seckill.Web.Storage.Redis;

/// <summary>
/// The sold-out broadcast over the pool Redis's pub/sub: messages <c>sold_out:{sale}</c> and
/// <c>stock_back:{sale}</c> on the cluster's channel <c>sold-out</c> (see <see cref="RedisConnections.PoolChannel"/>).
/// </summary>
/// <remarks>
/// "Sold out" from another instance is a hint, not an order: this instance sets its flag only if
/// the pool and its own shard are empty too (and no move is under way), read after the flag's
/// word, so a concurrent return of stock still wins. "Stock back" clears the flag at once.
/// </remarks>
public sealed partial class SoldOutChannel(
    RedisConnections redis, SoldOutBoard board, IStockPool pool, IStockShard shard, Allocator allocator, ILogger<SoldOutChannel> log)
    : ISoldOutBroadcast, IHostedService
{
    private const string SoldOutPrefix = "sold_out:";
    private const string StockBackPrefix = "stock_back:";

    private RedisChannel Channel => _channel ??= redis.PoolChannel("sold-out");

    private RedisChannel? _channel;

    public void SoldOut(long saleId) => Publish(SoldOutPrefix, saleId);

    public void StockBack(long saleId) => Publish(StockBackPrefix, saleId);

    // Fire and forget: the client queues the message and the caller does not wait for Redis.
    private void Publish(string prefix, long saleId) =>
        redis.PoolSubscriber.Publish(Channel, prefix + saleId.ToString(CultureInfo.InvariantCulture), CommandFlags.FireAndForget);

    public Task StartAsync(CancellationToken cancellationToken) =>
        redis.PoolSubscriber.SubscribeAsync(Channel, (channel, message) => _ = OnMessageAsync(message));

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await redis.PoolSubscriber.UnsubscribeAsync(Channel);
        }
        catch (RedisException)
        {
            // Stopping with the pool connection already gone or going: the subscription ends
            // with it. Failing the stop would only hide the stop of the services after this one.
        }
    }

    /// <summary>Applies one message to this instance's board (public for tests that play another instance).</summary>
    public async Task OnMessageAsync(string? message)
    {
        try
        {
            if (message is null)
            {
                return;
            }
            if (message.StartsWith(StockBackPrefix, StringComparison.Ordinal) &&
                long.TryParse(message.AsSpan(StockBackPrefix.Length), CultureInfo.InvariantCulture, out var back))
            {
                board.StockReturned(back);
            }
            else if (message.StartsWith(SoldOutPrefix, StringComparison.Ordinal) &&
                long.TryParse(message.AsSpan(SoldOutPrefix.Length), CultureInfo.InvariantCulture, out var saleId) &&
                !board.IsSoldOut(saleId, out var observed) &&
                !allocator.IsMoving(saleId) &&
                await pool.GetAsync(saleId) == 0 &&
                (await shard.GetAsync(saleId)).Available == 0)
            {
                board.TryMarkSoldOut(saleId, observed);
            }
        }
        catch (StockUnavailableException e)
        {
            LogIgnored(e, message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sold-out message {Message} ignored: the stores did not answer")]
    private partial void LogIgnored(Exception e, string? message);
}
