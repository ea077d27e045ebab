using System.Collections.Concurrent;
using Seckill.Web.Cluster;

namespace Seckill.Web.Storage.InProcess;

/// <summary>
/// Embedded mode's registry: the only instance there is registers with itself, so the heartbeat
/// and every reader of the registry work the same in both modes, without I/O.
/// </summary>
public sealed class InProcessInstanceRegistry : IInstanceRegistry
{
    private readonly ConcurrentDictionary<int, DateTimeOffset> _beats = new();

    public string ShardEndpoint => "in-process";

    public Task BeatAsync(int instanceId, DateTimeOffset at)
    {
        _beats[instanceId] = at;
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<InstanceBeat>> ListAliveSinceAsync(DateTimeOffset since) =>
        Task.FromResult<IReadOnlyList<InstanceBeat>>(
            _beats.Where(beat => beat.Value >= since).Select(beat => new InstanceBeat(beat.Key, ShardEndpoint, beat.Value)).ToList());
}
