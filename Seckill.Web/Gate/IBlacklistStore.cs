using System.Text.Json.Serialization;

namespace Seckill.Web.Gate;

/// <summary>A blacklisted buyer, and since when.</summary>
public sealed record BlacklistEntry([property: JsonNumberHandling(JsonNumberHandling.WriteAsString | JsonNumberHandling.AllowReadingFromString)] long UserId, DateTimeOffset AddedAt);

/// <summary>Where the blacklist is kept durably: beside the orders (SQLite or MySQL).</summary>
public interface IBlacklistStore
{
    /// <summary>Adds the user; returns the entry as stored (the first time it was added, if it already was).</summary>
    Task<BlacklistEntry> AddAsync(long userId, DateTimeOffset at, CancellationToken cancellationToken);

    /// <returns>False when the user was not on the list.</returns>
    Task<bool> RemoveAsync(long userId, CancellationToken cancellationToken);

    /// <returns>The user's entry, or null when the user is not on the list.</returns>
    Task<BlacklistEntry?> FindAsync(long userId, CancellationToken cancellationToken);

    Task<IReadOnlyList<BlacklistEntry>> ListAsync(CancellationToken cancellationToken);
}
