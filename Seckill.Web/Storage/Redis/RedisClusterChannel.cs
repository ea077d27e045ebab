using System.Collections.Concurrent;
using Seckill.Web.Cluster;
using StackExchange.Redis;

namespace Seckill.Web.Storage.Redis;

/// <summary>
/// The cluster's channel as pub/sub on the shared Redis: one channel, <c>news</c> under the
/// cluster's prefix, that every listener of every other instance hears.
/// </summary>
/// <remarks>
/// On the wire a message is <c>{origin} {message}</c>, the origin a random id of this channel, so
/// that this instance drops its own messages (it acted on them before publishing). Each listener
/// is its own handler on the one Redis subscription, so unsubscribing one removes that handler
/// only (the client ends the Redis subscription with the last).
/// </remarks>
public sealed class RedisClusterChannel(RedisConnections redis) : IClusterChannel
{
    private readonly string _origin = Guid.NewGuid().ToString("N");
    private readonly ConcurrentDictionary<Func<string, Task>, Action<RedisChannel, RedisValue>> _handlers = new();
    private RedisChannel? _channel;

    private RedisChannel Channel => _channel ??= redis.PoolChannel("news");

    // Fire and forget: the client queues the message and the caller does not wait for Redis.
    public void Publish(string message) =>
        redis.PoolSubscriber.Publish(Channel, $"{_origin} {message}", CommandFlags.FireAndForget);

    public Task SubscribeAsync(Func<string, Task> onMessage)
    {
        var handler = _handlers.GetOrAdd(onMessage, Deliver);
        return redis.PoolSubscriber.SubscribeAsync(Channel, handler);
    }

    public async Task UnsubscribeAsync(Func<string, Task> onMessage)
    {
        if (!_handlers.TryRemove(onMessage, out var handler))
        {
            return;
        }
        try
        {
            await redis.PoolSubscriber.UnsubscribeAsync(Channel, handler);
        }
        catch (RedisException)
        {
            // Stopping with the pool connection already gone or going: the subscription ends
            // with it. Failing the stop would only hide the stop of the services after this one.
        }
    }

    private Action<RedisChannel, RedisValue> Deliver(Func<string, Task> listener) => (channel, value) =>
    {
        var wire = (string?)value;
        var space = wire?.IndexOf(' ') ?? -1;
        // Without an origin it is not a message of this channel; with this channel's, it is this instance's own.
        if (space > 0 && !wire.AsSpan(0, space).SequenceEqual(_origin))
        {
            _ = listener(wire![(space + 1)..]);
        }
    };
}
