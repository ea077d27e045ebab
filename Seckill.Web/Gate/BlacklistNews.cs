using Seckill.Web.Cluster;

namespace Seckill.Web.Gate;

/// <summary>
/// What one instance learns about the blacklist, every instance learns at once: when a user is
/// added or removed here, message <c>blacklist:{userId}</c> goes out on the cluster's channel, and
/// every instance that hears it re-reads that user's entry from storage and adds or removes the
/// user to match (<see cref="Blacklist.ReloadAsync(long, CancellationToken)"/>).
/// </summary>
/// <remarks>
/// The bound: the message is published before the admin call returns, and a receiver applies it
/// as soon as it arrives, one pub/sub hop and one database read later. The message carries no
/// state, so a receiver applies what storage holds now, whatever order messages arrive in. A
/// message lost (the shared Redis briefly away) is caught by the periodic reload
/// (<see cref="BlacklistRefresher"/>).
/// </remarks>
public sealed partial class BlacklistNews(IClusterChannel channel, Blacklist blacklist, ILogger<BlacklistNews> log) : IHostedService
{
    private const string Kind = "blacklist:";

    /// <summary>The user was added to or removed from the list here (storage has the change): tells every other instance.</summary>
    public void Changed(long userId) => channel.Publish(ClusterMessage.Format(Kind, userId));

    // Subscribed before the list loads (registered before the Blacklist): a change made
    // meanwhile is either in the load or in a message, never in neither.
    public Task StartAsync(CancellationToken cancellationToken) => channel.SubscribeAsync(OnMessageAsync);

    public Task StopAsync(CancellationToken cancellationToken) => channel.UnsubscribeAsync(OnMessageAsync);

    /// <summary>Applies one message from the channel; other kinds and junk are ignored.</summary>
    public async Task OnMessageAsync(string message)
    {
        if (!ClusterMessage.TryParse(message, Kind, out var userId))
        {
            return;
        }
        try
        {
            await blacklist.ReloadAsync(userId, CancellationToken.None);
        }
        catch (Exception error)
        {
            // Nobody awaits a message: log, and leave it to the periodic reload.
            LogFailed(error, userId);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Blacklist news of user {UserId} not applied: reading the entry failed; the periodic reload will catch up")]
    private partial void LogFailed(Exception error, long userId);
}
