using System.Collections.Concurrent;
using Seckill.Web.Storage.Redis;
using Seckill.Web.Tests.Infrastructure;

namespace Seckill.Web.Tests.Clustered;

/// <summary>The cluster's channel on the pool Redis is shared by several listeners.</summary>
public sealed class ClusterChannelTests
{
    [Fact]
    public async Task EveryListenerHearsEveryOtherInstancesMessageAndUnsubscribingOneLeavesTheOthers()
    {
        using var store = new TestStore(StorageMode.Clustered);
        using var redis = new RedisConnections(new RedisSettings(store.Settings["Redis:Pool"]!, store.Settings["Redis:Shard"]!, ShardId: 0));
        await redis.ConnectAsync("channel-test");
        var channel = new RedisClusterChannel(redis);
        // Another instance's channel (an instance does not hear its own messages).
        var elsewhere = new RedisClusterChannel(redis);
        var first = new ConcurrentQueue<string>();
        var second = new ConcurrentQueue<string>();
        Task First(string message)
        {
            first.Enqueue(message);
            return Task.CompletedTask;
        }
        Task Second(string message)
        {
            second.Enqueue(message);
            return Task.CompletedTask;
        }
        await channel.SubscribeAsync(First);
        await channel.SubscribeAsync(Second);

        channel.Publish("own:1");
        elsewhere.Publish("a:1");
        await Eventually.TrueAsync(() => Task.FromResult(first.Contains("a:1") && second.Contains("a:1")), "both listeners to hear a:1", TimeSpan.FromSeconds(5));

        // Published before a:1 on the same Redis: the instance's own message was dropped, not late.
        Assert.DoesNotContain("own:1", first);

        await channel.UnsubscribeAsync(First);
        elsewhere.Publish("b:2");
        await Eventually.TrueAsync(() => Task.FromResult(second.Contains("b:2")), "the remaining listener to hear b:2", TimeSpan.FromSeconds(5));
        // The listeners of one message are called together: had the first still been subscribed, it would have heard b:2 by now.
        Assert.DoesNotContain("b:2", first);
    }
}
