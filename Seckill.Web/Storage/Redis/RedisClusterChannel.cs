using Seckill.Web.Cluster;
using StackExchange.Redis;

namespace Seckill.Web.Storage.Redis;

/// <summary>The cluster's channel as pub/sub on the shared Redis (channel <c>sold-out</c> under the cluster's prefix).</summary>
public sealed class RedisClusterChannel(RedisConnections redis) : IClusterChannel
{
    private RedisChannel? _channel;

    private RedisChannel Channel => _channel ??= redis.PoolChannel("sold-out");

    // Fire and forget: the client queues the message and the caller does not wait for Redis.
    public void Publish(string message) => redis.PoolSubscriber.Publish(Channel, message, CommandFlags.FireAndForget);

    public Task SubscribeAsync(Func<string, Task> onMessage) =>
        redis.PoolSubscriber.SubscribeAsync(Channel, (channel, message) =>
        {
            if (!message.IsNull)
            {
                _ = onMessage(message.ToString());
            }
        });

    public async Task UnsubscribeAsync()
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
}
