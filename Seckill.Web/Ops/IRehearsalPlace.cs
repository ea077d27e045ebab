namespace Seckill.Web.Ops;

/// <summary>
/// Where the startup rehearsal's twin keeps its data when the instance is clustered: a place of its
/// own on the instance's own servers (<c>Storage/ClusteredRehearsalPlace</c>), so that the twin
/// runs the clustered paths (Redis, MySQL) before the instance's first sale does. Embedded there is
/// none: the twin keeps everything in process.
/// </summary>
public interface IRehearsalPlace
{
    /// <summary>
    /// Makes the place and returns the settings that point the twin at it, or null if it cannot be
    /// made (the twin then rehearses in process, and the clustered paths stay cold).
    /// </summary>
    Task<IReadOnlyDictionary<string, string?>?> OpenAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Removes the place and everything the twin left there. <paramref name="twin"/>: the twin's
    /// services, still connected (null if it never started).
    /// </summary>
    Task RemoveAsync(IServiceProvider? twin, CancellationToken cancellationToken);
}
