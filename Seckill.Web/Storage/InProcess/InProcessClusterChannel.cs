using Seckill.Web.Cluster;
namespace Seckill.Web.Storage.InProcess;

/// <summary>
/// Embedded mode's channel: there is no other instance to hear a message, and the one that
/// publishes has already acted on it, so nothing is sent and nothing arrives.
/// </summary>
public sealed class InProcessClusterChannel : IClusterChannel
{
    public void Publish(string message)
    {
    }

    public Task SubscribeAsync(Func<string, Task> onMessage) => Task.CompletedTask;

    public Task UnsubscribeAsync(Func<string, Task> onMessage) => Task.CompletedTask;
}
