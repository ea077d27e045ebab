namespace Seckill.Web.Cluster;

/// <summary>
/// Messages every instance of the cluster hears (pub/sub on the shared Redis in clustered mode):
/// the port of <see cref="SoldOutBroadcast"/>. Fire and forget; a lost message must cost a
/// wrong answer nowhere.
/// </summary>
public interface IClusterChannel
{
    void Publish(string message);

    Task SubscribeAsync(Func<string, Task> onMessage);

    Task UnsubscribeAsync();
}
