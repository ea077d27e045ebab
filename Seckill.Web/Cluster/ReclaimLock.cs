namespace Seckill.Web.Cluster;

/// <summary>
/// The lock a reclaim of an instance and that instance's own startup both take
/// (<see cref="IInstanceRegistry.TryLockAsync"/>), so that a reclaim and a rejoin never overlap.
/// </summary>
public static class ReclaimLock
{
    /// <summary>Longest a reclaim holds it; a restart waits that long at most.</summary>
    public static readonly TimeSpan For = TimeSpan.FromSeconds(60);

    public static string Of(int instanceId) => $"reclaim-{instanceId}";
}
