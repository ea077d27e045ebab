using System.Collections.Concurrent;
using Seckill.Web.Cluster;

namespace Seckill.Web.Storage.InProcess;

/// <summary>
/// Embedded mode's registry (and the allocator's simulation's): the instances there are register
/// in memory, so the heartbeat and every reader of the registry work the same in both modes, without I/O.
/// </summary>
public sealed class InProcessInstanceRegistry(string shardEndpoint = "in-process") : IInstanceRegistry
{
    private readonly ConcurrentDictionary<int, InstanceBeat> _beats = new();
    private readonly ConcurrentDictionary<int, DateTimeOffset> _reclaimed = new();
    private readonly ConcurrentDictionary<string, (string Owner, DateTimeOffset Until)> _locks = new();
    private readonly ConcurrentDictionary<long, int> _endgames = new();

    public InProcessInstanceRegistry() : this("in-process")
    {
    }

    /// <summary>The clock of the locks' time to live.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    public string ShardEndpoint => shardEndpoint;

    public Task BeatAsync(int instanceId, DateTimeOffset at, IReadOnlyDictionary<long, double> rates)
    {
        _beats[instanceId] = new InstanceBeat(instanceId, shardEndpoint, at, rates);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<InstanceBeat>> ListAliveSinceAsync(DateTimeOffset since) =>
        Task.FromResult<IReadOnlyList<InstanceBeat>>(_beats.Values.Where(beat => beat.At >= since).OrderBy(beat => beat.InstanceId).ToList());

    public Task<IReadOnlyList<InstanceBeat>> ListAllAsync() =>
        Task.FromResult<IReadOnlyList<InstanceBeat>>(_beats.Values.OrderBy(beat => beat.InstanceId).ToList());

    public Task<IReadOnlyDictionary<int, DateTimeOffset>> ListReclaimedAsync() =>
        Task.FromResult<IReadOnlyDictionary<int, DateTimeOffset>>(new Dictionary<int, DateTimeOffset>(_reclaimed));

    public Task MarkReclaimedAsync(int instanceId, DateTimeOffset lastBeat)
    {
        _reclaimed[instanceId] = lastBeat;
        return Task.CompletedTask;
    }

    public Task ForgetReclaimedAsync(int instanceId)
    {
        _reclaimed.TryRemove(instanceId, out _);
        return Task.CompletedTask;
    }

    public Task<bool> TryLockAsync(string name, string owner, TimeSpan ttl)
    {
        var now = Time.GetUtcNow();
        lock (_locks)
        {
            if (_locks.TryGetValue(name, out var held) && held.Until > now && held.Owner != owner)
            {
                return Task.FromResult(false);
            }
            _locks[name] = (owner, now + ttl);
            return Task.FromResult(true);
        }
    }

    public Task UnlockAsync(string name, string owner)
    {
        lock (_locks)
        {
            if (_locks.TryGetValue(name, out var held) && held.Owner == owner)
            {
                _locks.TryRemove(name, out _);
            }
        }
        return Task.CompletedTask;
    }

    public Task<int> ClaimEndgameAsync(long saleId, int shardId) => Task.FromResult(_endgames.GetOrAdd(saleId, shardId));

    public Task<int?> EndgameOfAsync(long saleId) => Task.FromResult(_endgames.TryGetValue(saleId, out var shard) ? shard : (int?)null);

    public Task<IReadOnlyList<long>> EndEndgamesOnAsync(int shardId)
    {
        var ended = new List<long>();
        foreach (var (saleId, shard) in _endgames)
        {
            if (shard == shardId && _endgames.TryRemove(new KeyValuePair<long, int>(saleId, shard)))
            {
                ended.Add(saleId);
            }
        }
        return Task.FromResult<IReadOnlyList<long>>(ended);
    }
}
