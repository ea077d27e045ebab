namespace Seckill.Web.Cluster;

/// <summary>
/// The cluster's news: messages every other instance hears (pub/sub on the shared Redis in
/// clustered mode). The publishing instance does not hear its own: it acts on the news itself
/// before publishing it. Several listeners share the channel (<see cref="SoldOutBroadcast"/>, the
/// sale and blacklist news): each hears every message, so a message starts with its kind
/// (<c>sold_out:</c>, <c>sale:</c>, …; <see cref="ClusterMessage"/>) and a listener ignores the
/// kinds it does not know.
/// </summary>
/// <remarks>
/// Fire and forget, at most once: a message can be lost (the shared Redis briefly away), so a
/// lost message must cost a wrong answer nowhere, or only until some periodic re-read catches
/// up. A listener runs concurrently with others and with itself, and handles its own failures.
/// </remarks>
public interface IClusterChannel
{
    void Publish(string message);

    Task SubscribeAsync(Func<string, Task> onMessage);

    /// <summary>Stops delivering to this listener only: the others keep hearing the channel.</summary>
    Task UnsubscribeAsync(Func<string, Task> onMessage);
}
