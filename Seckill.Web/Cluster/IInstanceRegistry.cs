namespace Seckill.Web.Cluster;

/// <summary>An instance as the registry knows it: its shard's address, its last beat and its shard's recent sell rates.</summary>
/// <param name="Rates">Sale id → units reserved per second on the instance's shard, recently.</param>
public sealed record InstanceBeat(int InstanceId, string ShardEndpoint, DateTimeOffset At, IReadOnlyDictionary<long, double> Rates)
{
    public double RateOf(long saleId) => Rates.GetValueOrDefault(saleId);
}

/// <summary>
/// Where instances announce themselves and learn of each other (the shared Redis in clustered
/// mode): heartbeats, reclaims of dead instances, the short locks that keep two instances from
/// doing one job at once, and which shard holds each sale's end game.
/// </summary>
public interface IInstanceRegistry
{
    /// <summary>This instance's shard, as others would reach it.</summary>
    string ShardEndpoint { get; }

    /// <summary>Records that <paramref name="instanceId"/> was alive at <paramref name="at"/>, selling at <paramref name="rates"/>.</summary>
    Task BeatAsync(int instanceId, DateTimeOffset at, IReadOnlyDictionary<long, double> rates);

    /// <summary>The instances whose last beat is not older than <paramref name="since"/>.</summary>
    Task<IReadOnlyList<InstanceBeat>> ListAliveSinceAsync(DateTimeOffset since);

    /// <summary>Every instance that ever beat, live or not.</summary>
    Task<IReadOnlyList<InstanceBeat>> ListAllAsync();

    /// <summary>Instance → the last beat it had when its shard was reclaimed (a later beat means it came back).</summary>
    Task<IReadOnlyDictionary<int, DateTimeOffset>> ListReclaimedAsync();

    Task MarkReclaimedAsync(int instanceId, DateTimeOffset lastBeat);

    /// <summary>The instance rejoined after its reclaim: the record is dropped.</summary>
    Task ForgetReclaimedAsync(int instanceId);

    /// <summary>Takes the lock <paramref name="name"/> for <paramref name="ttl"/> unless someone else holds it.</summary>
    Task<bool> TryLockAsync(string name, string owner, TimeSpan ttl);

    /// <summary>Releases the lock if <paramref name="owner"/> still holds it.</summary>
    Task UnlockAsync(string name, string owner);

    /// <summary>Makes <paramref name="shardId"/> the sale's end-game shard unless one is already: returns the one that is.</summary>
    Task<int> ClaimEndgameAsync(long saleId, int shardId);

    /// <summary>The sale's end-game shard, if it has one.</summary>
    Task<int?> EndgameOfAsync(long saleId);

    /// <summary>Ends every end game held by <paramref name="shardId"/> (it was reclaimed); returns their sales.</summary>
    Task<IReadOnlyList<long>> EndEndgamesOnAsync(int shardId);
}
